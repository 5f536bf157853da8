/**
 * Connector `result` (../../connector/protocol.ts `ResultMessage`): what the CA did with a committed
 * request. Accepted only from the committed lease: a late result is ignored (and a certificate issued for
 * a request cancelled meanwhile is revoked, so nothing stays valid unseen). A denial fails the delivery
 * with the CA's code and native facts; an issued certificate is compiled — with the delivery's resolved
 * request, not resolved again — and sent. The PFX connector's answers go to imported-delivery.ts.
 */
import { ERROR_CODES, type ErrorCode } from '../../../../pki/errors.ts';
import { ownBytes } from '../../../../pki/own-bytes.ts';
import type { IssuedIdentity } from '../../../../profiles/compile/index.ts';
import { isImportedPfxResult, isImportedPfxWork, type ResultMessage } from '../../connector/protocol.ts';
import type { Delivery } from '../stores/deliveries.ts';
import type { ServiceContext } from './context.ts';
import { compileAndSend, enqueue, renewalHeld, replacesExpired, type DeliveryContext } from './delivery.ts';
import { handleImportedResult } from './imported-delivery.ts';

/** How soon a held request is looked at again (virtual time) [inferred: the connector's own schedule is not documented]. */
export const PENDING_RECHECK_MS = 60 * 60_000;

/** What the result handler uses. */
export type ResultContext = DeliveryContext & Pick<ServiceContext, 'reports' | 'publishCrl'>;

function errorCode(code: string): ErrorCode {
  return code in ERROR_CODES ? (code as ErrorCode) : 'INTERNAL';
}

/** Handles one result. */
export async function handleResult(ctx: ResultContext, msg: ResultMessage): Promise<void> {
  const { connectorId, requestId, leaseId, result } = msg;
  const done = ctx.requests.complete(requestId, leaseId);
  if (!done.ok) {
    ctx.reports.counters.lateResultsIgnored += 1;
    const owner = ctx.requests.owner(requestId);
    if (
      result.ok &&
      !isImportedPfxResult(result) &&
      ctx.requests.wasCancelled(requestId) &&
      ctx.revoke(result.serial, 'cessationOfOperation')
    ) {
      ctx.publishCrl();
    }
    ctx.event(
      'late-result-ignored',
      `${requestId} from ${connectorId} (${leaseId}): ${done.reason}`,
      owner?.deviceId,
      owner?.profile,
    );
    return;
  }
  ctx.reports.countResult(connectorId);
  // The delivery the request was made for, if it still waits for this very request (not withdrawn, not
  // restarted after its assignment was removed and given again).
  const d = ctx.deliveries.get(done.work.deviceId, done.work.profile);
  if (!d || d.requestId !== requestId) return;
  d.requestId = undefined;
  // the PFX connector's answer: an imported PFX opened for the device (nothing was issued); its failures
  // fail the delivery below, as a certificate connector's do
  if (isImportedPfxWork(done.work) && result.ok) return handleImportedResult(ctx, d, done.work, msg);
  if (isImportedPfxResult(result)) {
    const message = `${connectorId} answered the certificate request ${requestId} with an imported PFX; only certificate connectors serve PKCS requests.`;
    ctx.setOutcome(d, 'failed', 'INTERNAL', message);
    ctx.event('failed', `INTERNAL: ${message}`, d.device.id, d.assignment.name);
    return;
  }
  if (!result.ok && result.pending === true) {
    // The CA holds the request: the profile stays pending, and the request goes back to the connectors
    // an hour later (virtual time) to retrieve what a certificate manager decided (issue 12 point 2). A
    // renewal's row keeps its outcome: the device still holds its certificate (delivery.ts renewalHeld).
    const code = errorCode(result.code);
    if (d.reason === 'renewal') renewalHeld(ctx, d, code, result.message);
    else {
      ctx.setOutcome(d, 'pending', code, result.message, result.native);
      ctx.event('certificate-pending', `${code}: ${result.message}`, d.device.id, d.assignment.name);
    }
    armPendingRecheck(ctx, d, PENDING_RECHECK_MS);
    return;
  }
  if (!result.ok) {
    const code = errorCode(result.code);
    ctx.setOutcome(d, 'failed', code, result.message, result.native);
    ctx.event('failed', `${code}: ${result.message}`, d.device.id, d.assignment.name);
    d.reason = undefined;
    return;
  }
  ctx.reports.counters.certificatesIssued += 1;
  d.sentCert = { serial: result.serial, thumbprint: result.thumbprint, notAfter: result.notAfter };
  // a renewal issued after the certificate it replaces expired says so (the device reports the gap)
  const late =
    d.reason === 'renewal' && d.current !== undefined && replacesExpired(ctx, d)
      ? `; certificate ${d.current.serial} it replaces expired at ${d.current.notAfter}`
      : '';
  ctx.event(
    'issued',
    `certificate ${result.serial} by ${connectorId} (${d.reason ?? 'initial'}${late})`,
    d.device.id,
    d.assignment.name,
  );
  // kept for a re-enrolment's recompile: the PFX in a buffer of its own (a slice would pin an 8 KiB slab
  // of Node's pool, own-bytes.ts); not the leaf's DER, which nothing reads again (issue 11 point 3)
  const issued: IssuedIdentity = {
    pfx: ownBytes(Buffer.from(result.pfx, 'base64')),
    password: result.password,
  };
  d.issued = issued;
  await compileAndSend(ctx, d, issued);
}

/**
 * Arms the re-check of a request the CA holds, `wait` ms from now (an hour; a resumed service: what was
 * left of it, resume.ts): the request goes back to the connectors, the profile stays pending with the
 * outcome it has now. A renewal's row is left as it is then (installed, or RENEWAL_EXPIRED if the device
 * reported its certificate expired meanwhile): the hold does not make it pending.
 */
export function armPendingRecheck(ctx: DeliveryContext, d: Delivery, wait: number): void {
  const reason = d.reason ?? 'initial';
  const { code, message, native } = d.outcome;
  d.timerAt = ctx.clock.now().getTime() + wait;
  d.timer = ctx.clock.after(wait, () => {
    if (d.removed || ctx.stopped()) return;
    enqueue(ctx, d, reason);
    if (reason !== 'renewal') ctx.setOutcome(d, 'pending', code, message, native);
  });
}
