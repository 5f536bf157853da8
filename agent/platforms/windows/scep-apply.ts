/**
 * `Exec ClientCertificateInstall/SCEP/{UniqueID}/Install/Enroll` and `Delete SCEP/{UniqueID}` on the
 * simulated Windows device (CCI; docs/formats.md §2.3). The Exec is answered at once — 202 "accepted for
 * processing" (OMADM status table; event 306 logs DM_S_ACCEPTED_FOR_PROCESSING for it, SCEPTS) — with the
 * node's `Status` 2 (pending); the enrolment runs afterwards in the background on the device's clock
 * (scep-enrol.ts) and its result is read later through `Status`/`ErrorCode` (scep-node.ts).
 *
 * - The same Enroll again (same parameters, same challenge: a re-sent message) changes nothing and answers
 *   200 (**[certfleet]**, as a duplicate PFX is UNCHANGED): a one-time challenge cannot be used twice.
 * - A new Enroll on a node that holds a certificate (the service's renewal: a new challenge) enrols again and
 *   replaces the certificate when the new one is issued; one on a node whose enrolment is still pending
 *   supersedes it (the older one gives up) — CCI tells the server to check Status before changing the
 *   values, and says what the device does only for the running enrolment (**[inferred]**).
 * - No background in the context (`inspect`): the Exec is refused INSTALL_NOT_SIMULATED, nothing stays.
 * - Delete removes the certificate and key the node installed (MDM_ClientCertificateInstall_SCEP01_01:
 *   "Calling Delete on this node should delete the corresponding SCEP certificate").
 */
import type {
  ScepDeleteOperation,
  ScepEnrolOperation,
} from '../../../profiles/windows/scep-install-decode.ts';
import { contentHash, profileMeta, type ApplyEnv, type PendingOutcome } from './apply-context.ts';
import { describeRelease, releaseNode } from './pfx-apply.ts';
import { startScepEnrolment } from './scep-enrol.ts';
import { SCEP_STATUS, scepNode, scepNodeRef, type ScepNodeMeta } from './scep-node.ts';

/** What an Enroll Exec answered: 202 (started) or 200 (a duplicate), or a failed outcome. */
export type ScepExecResult = { code: 200 | 202 } | { code: number; outcome: PendingOutcome };

/** Accepts one Enroll: records the node pending and starts the enrolment in the background. */
export function applyScepEnrol(env: ApplyEnv, op: ScepEnrolOperation): ScepExecResult {
  const { ctx } = env;
  const ref = scepNodeRef(op.scope, op.uniqueId);
  const background = ctx.background;
  if (background === undefined) {
    return {
      code: 500,
      outcome: {
        payload: ref,
        status: 'skipped',
        code: 'INSTALL_NOT_SIMULATED',
        message: `${ref}: the SCEP enrolment runs in the background after Enroll, and this device context runs nothing later (inspect); run the payload in a fleet run.`,
        syncml: 500,
        csp: null,
      },
    };
  }
  const s = op.settings;
  const hash = contentHash(
    op.scope,
    op.uniqueId,
    JSON.stringify({ ...s, challenge: undefined }),
    s.challenge,
  );
  const existing = ctx.db.profile(ctx.device.id, ref);
  const node = scepNode(ctx, ref);
  if (existing !== undefined && node !== undefined && existing.contentHash === hash) return { code: 200 };
  const meta: ScepNodeMeta = {
    csp: 'ClientCertificateInstall',
    branch: 'SCEP',
    scope: op.scope,
    uniqueId: op.uniqueId,
    status: SCEP_STATUS.pending,
    errorCode: 0,
    generation: (node?.generation ?? 0) + 1,
    ...(node?.thumbprint !== undefined && { thumbprint: node.thumbprint }),
  };
  ctx.db.putProfile({
    deviceId: ctx.device.id,
    ref,
    contentHash: hash,
    meta: profileMeta(env, { ...meta }),
    installedAt: env.now.toISOString(),
  });
  startScepEnrolment(ctx, { ref, generation: meta.generation, settings: s, scope: op.scope });
  return { code: 202 };
}

/** Deletes a SCEP node: its certificate, key and the CA certificates it brought. */
export function applyScepDelete(env: ApplyEnv, op: ScepDeleteOperation): PendingOutcome {
  const ref = scepNodeRef(op.scope, op.uniqueId);
  const released = releaseNode(env, ref);
  const had = env.ctx.db.removeProfile(env.ctx.device.id, ref);
  if (!had && released.own.removed === 0) {
    return {
      payload: ref,
      status: 'failed',
      code: 'INSTALL_NOT_FOUND',
      message: `${ref} does not exist on this device; nothing to delete.`,
    };
  }
  return {
    payload: ref,
    status: 'installed',
    code: 'OK',
    message: `Removed ${ref} (${describeRelease(released)}).`,
  };
}
