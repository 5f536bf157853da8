/**
 * The state of one `ClientCertificateInstall/SCEP/{UniqueID}` node on the simulated Windows device, kept in
 * the device's store as the node's installed-profile record (its `meta`), so that it survives a restart:
 * `Status` (CCI: 1 finished, 2 pending, 16 failed, 32 unknown), `ErrorCode` (an HRESULT), `CertThumbprint`,
 * `RespondentServerUrl`, and the result of the last enrolment as a typed outcome, reported once — when the
 * service reads `Status` after the enrolment ended (node-values.ts, deliver.ts).
 *
 * No secret is kept here: the challenge lives only in the running enrolment (CCI: "Challenge … deleted
 * after Exec"), the key only in the identity item of the store.
 */
import type { NodeValue } from '../../../profiles/windows/device-reply.ts';
import type { LocUriScope } from '../../../profiles/windows/loc-uri.ts';
import { scepLocUri } from '../../../profiles/windows/scep-install.ts';
import type { OutcomeCode } from '../../../protocol/wire/outcome.ts';
import type { DeviceContext } from '../../platform-adapter.ts';
import type { PendingOutcome } from './apply-context.ts';
import { dwordText, statusNodeValue, WIN32, type Win32Name } from './native-status.ts';

/** CCI `SCEP/{UniqueID}/Status` values. */
export const SCEP_STATUS = { finished: 1, pending: 2, failed: 16, unknown: 32 } as const;

/** The result of the node's last enrolment, until the service has read it. */
export interface ScepNodeResult {
  status: 'installed' | 'failed';
  code: OutcomeCode;
  message: string;
  /** The ErrorCode HRESULT. */
  errorCode: Win32Name;
  /** True once reported to the service (with the Status it read). */
  reported: boolean;
}

/** The node's meta, as stored. */
export interface ScepNodeMeta {
  csp: 'ClientCertificateInstall';
  branch: 'SCEP';
  scope: LocUriScope;
  uniqueId: string;
  status: (typeof SCEP_STATUS)[keyof typeof SCEP_STATUS];
  errorCode: number;
  /** Bumped by every accepted Enroll; a running enrolment of an older generation gives up. */
  generation: number;
  thumbprint?: string;
  respondentServerUrl?: string;
  result?: ScepNodeResult;
}

/**
 * The enrolments scheduled or running in this process, per store (`deviceId|ref|generation`): a node whose
 * Status is 2 without one here was left pending by a device that restarted (the challenge lived only in the
 * enrolment), and {@link scepNodeValue} settles it as failed SCEP_ENROLMENT_INTERRUPTED **[inferred]**.
 */
const LIVE = new WeakMap<object, Set<string>>();

function liveKey(ctx: DeviceContext, ref: string, generation: number): string {
  return `${ctx.device.id}|${ref}|${generation}`;
}

/** Marks the enrolment of `ref`'s `generation` as scheduled or running (`live` true) or ended. */
export function markLive(ctx: DeviceContext, ref: string, generation: number, live: boolean): void {
  const set = LIVE.get(ctx.db) ?? new Set<string>();
  LIVE.set(ctx.db, set);
  if (live) set.add(liveKey(ctx, ref, generation));
  else set.delete(liveKey(ctx, ref, generation));
}

/** Settles a node left pending by a restart (see {@link LIVE}). */
function settleInterrupted(ctx: DeviceContext, ref: string, node: ScepNodeMeta): ScepNodeMeta {
  if (node.status !== SCEP_STATUS.pending || LIVE.get(ctx.db)?.has(liveKey(ctx, ref, node.generation)))
    return node;
  const patch: Partial<ScepNodeMeta> = {
    status: SCEP_STATUS.failed,
    errorCode: WIN32.E_ABORT,
    result: {
      status: 'failed',
      code: 'SCEP_ENROLMENT_INTERRUPTED',
      message: `The SCEP enrolment of ${ref} was cut off: the device restarted while it ran, and the one-time challenge went with it. The service sends the profile again with a new challenge when it is re-delivered.`,
      errorCode: 'E_ABORT',
      reported: false,
    },
  };
  updateScepNode(ctx, ref, patch);
  return { ...node, ...patch };
}

/** The node path of a SCEP node (its store ref). */
export function scepNodeRef(scope: LocUriScope, uniqueId: string): string {
  return scepLocUri(scope, uniqueId);
}

/** The SCEP node meta stored under `ref`, when it is one. */
export function scepNode(ctx: DeviceContext, ref: string): ScepNodeMeta | undefined {
  const meta = ctx.db.profile(ctx.device.id, ref)?.meta;
  return meta?.branch === 'SCEP' ? (meta as unknown as ScepNodeMeta) : undefined;
}

/** Rewrites the meta of the SCEP node `ref` (keeping its content hash and the profile facts). */
export function updateScepNode(ctx: DeviceContext, ref: string, patch: Partial<ScepNodeMeta>): void {
  const p = ctx.db.profile(ctx.device.id, ref);
  if (p === undefined) return;
  ctx.db.putProfile({ ...p, meta: { ...p.meta, ...patch } });
}

/**
 * The value of a Get under `SCEP/{UniqueID}` (`rest` = the segments after the UniqueID): Status, ErrorCode
 * (signed decimal of the HRESULT, as the int node carries it), CertThumbprint, RespondentServerUrl, or the
 * node's child list. Undefined (404) for a node the device does not have.
 */
export function scepNodeValue(
  ctx: DeviceContext,
  ref: string,
  rest: readonly string[],
): NodeValue | undefined {
  const stored = scepNode(ctx, ref);
  if (stored === undefined) return undefined;
  const node = settleInterrupted(ctx, ref, stored);
  switch (rest.join('/')) {
    case '':
      return {
        data: ['CertThumbprint', 'ErrorCode', 'Install', 'RespondentServerUrl', 'Status'].join('/'),
        format: 'node',
      };
    case 'Status':
      return { data: String(node.status), format: 'int' };
    case 'ErrorCode':
      return { data: String(statusNodeValue(node.errorCode)), format: 'int' };
    case 'CertThumbprint':
      return { data: node.thumbprint ?? '', format: 'chr' };
    case 'RespondentServerUrl':
      return { data: node.respondentServerUrl ?? '', format: 'chr' };
    default:
      return undefined;
  }
}

/**
 * The typed outcome of the node's finished enrolment, the first time the service reads its Status after it
 * ended (then marked reported); undefined while it is pending or once reported. The native status is the
 * Get's (200) with the ErrorCode as the CSP value.
 */
export function takeScepResult(ctx: DeviceContext, ref: string): PendingOutcome | undefined {
  const node = scepNode(ctx, ref);
  const r = node?.result;
  if (node === undefined || r === undefined || r.reported || node.status === SCEP_STATUS.pending)
    return undefined;
  updateScepNode(ctx, ref, { result: { ...r, reported: true } });
  return {
    payload: ref,
    status: r.status,
    code: r.code,
    message: `${r.message} (Status ${node.status}, ErrorCode ${dwordText(WIN32[r.errorCode])} ${r.errorCode})`,
    syncml: 200,
    csp: r.errorCode,
  };
}
