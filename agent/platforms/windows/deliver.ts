/**
 * One SyncML message from the MDM server, applied as a Windows device applies it (docs/formats.md §2.1–§2.4,
 * docs/errors.md §1.1): decode strictly, execute the commands in document order, and answer with a SyncML reply
 * (SyncHdr status with CmdRef 0, one Status per command with MsgRef/CmdRef, Results for Gets).
 *
 * Transactions: the whole delivery runs in one StoreDb transaction; inside it every top-level command is its
 * own savepoint (OMA-DM commands outside `<Atomic>` succeed or fail on their own), and every `<Atomic>` is one
 * savepoint: if any child fails, nothing of the Atomic stays in the store; the Atomic answers 507, the failing
 * child its own code and the others 216 (docs/errors.md §1.1, shape inferred). A nested Atomic answers 500 and its
 * parent 507; a Get inside Atomic answers 500 (OMADM). A message that does not decode changes nothing and is
 * answered with SyncHdr status 400.
 */
import type { CertfleetError } from '../../../pki/errors.ts';
import { buildReply, type NodeValue } from '../../../profiles/windows/device-reply.ts';
import { splitLocUri } from '../../../profiles/windows/loc-uri.ts';
import {
  decodePfxInstalls,
  pfxLocUri,
  type PfxDeleteOperation,
  type PfxInstallOperation,
} from '../../../profiles/windows/pfx-cert-install.ts';
import {
  decodeTrustedCertOperations,
  trustedCertLocUri,
  type TrustedCertOperation,
} from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import {
  decodeScepInstalls,
  type ScepDeleteOperation,
  type ScepEnrolOperation,
} from '../../../profiles/windows/scep-install-decode.ts';
import { scepLocUri } from '../../../profiles/windows/scep-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { encodeSyncml } from '../../../profiles/windows/syncml-encode.ts';
import type {
  SyncmlCommand,
  SyncmlContainer,
  SyncmlItemCommand,
  SyncmlMessage,
} from '../../../profiles/windows/syncml-model.ts';
import { walkCommands } from '../../../profiles/windows/syncml-walk.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import type { DeliveryMeta, DeliveryResult, DeviceContext } from '../../platform-adapter.ts';
import { isSuccess, type ApplyEnv, type PendingOutcome } from './apply-context.ts';
import { nativeRow, windowsNative } from './native-status.ts';
import { nodeValue } from './node-values.ts';
import { applyPfxDelete, applyPfxInstall, foldReplacements } from './pfx-apply.ts';
import { classifyProblem, payloadNode } from './problem-outcome.ts';
import { applyScepDelete, applyScepEnrol } from './scep-apply.ts';
import { takeScepResult } from './scep-node.ts';
import { applyTrustedCert } from './trusted-cert-apply.ts';

type Action =
  | { kind: 'trusted'; op: TrustedCertOperation }
  | { kind: 'pfx-install'; op: PfxInstallOperation }
  | { kind: 'pfx-delete'; op: PfxDeleteOperation }
  | { kind: 'scep-enrol'; op: ScepEnrolOperation }
  | { kind: 'scep-delete'; op: ScepDeleteOperation }
  | { kind: 'problem'; error: CertfleetError };

interface CmdResult {
  code: number;
  outcomes: PendingOutcome[];
}

const KNOWN_CSPS = [
  ['Vendor', 'MSFT', 'RootCATrustedCertificates'],
  ['Vendor', 'MSFT', 'ClientCertificateInstall', 'PFXCertInstall'],
  ['Vendor', 'MSFT', 'ClientCertificateInstall', 'SCEP'],
];

class Rollback extends Error {}

/** The SyncML status an outcome earns (its own, else the native table's). */
function syncmlOf(o: PendingOutcome): number {
  return o.syncml ?? nativeRow(o.code).syncml;
}

function payloadOf(action: Action): string {
  switch (action.kind) {
    case 'trusted':
      return trustedCertLocUri(action.op.scope, action.op.store, action.op.thumbprint);
    case 'pfx-install':
      return pfxLocUri(action.op.install.scope, action.op.install.uniqueId);
    case 'pfx-delete':
      return pfxLocUri(action.op.scope, action.op.uniqueId);
    case 'scep-enrol':
    case 'scep-delete':
      return scepLocUri(action.op.scope, action.op.uniqueId);
    case 'problem':
      return classifyProblem(action.error).payload;
  }
}

function plan(message: SyncmlMessage): Map<number, Action[]> {
  const actions = new Map<number, Action[]>();
  const add = (cmdId: number, a: Action): void => {
    const list = actions.get(cmdId) ?? [];
    list.push(a);
    actions.set(cmdId, list);
  };
  const trusted = decodeTrustedCertOperations(message);
  const pfx = decodePfxInstalls(message);
  const scep = decodeScepInstalls(message);
  for (const error of [...trusted.problems, ...pfx.problems, ...scep.problems]) {
    const cmdId = error.details.cmdId;
    if (typeof cmdId === 'number') add(cmdId, { kind: 'problem', error });
  }
  for (const op of trusted.operations) add(op.cmdId, { kind: 'trusted', op });
  for (const op of pfx.installs) add(op.blobCmdId, { kind: 'pfx-install', op });
  for (const op of pfx.deletes) add(op.cmdId, { kind: 'pfx-delete', op });
  for (const op of scep.enrolments) add(op.execCmdId, { kind: 'scep-enrol', op });
  for (const op of scep.deletes) add(op.cmdId, { kind: 'scep-delete', op });
  return actions;
}

/** Runs `fn` in a savepoint that is kept only when `fn` returns true. */
function savepoint(ctx: DeviceContext, fn: () => boolean): void {
  try {
    ctx.db.transaction(() => {
      if (!fn()) throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
}

function rolledBack(o: PendingOutcome, reason: string, syncml = 216): PendingOutcome {
  return {
    payload: o.payload,
    status: 'failed',
    code: 'INSTALL_ROLLED_BACK',
    message: `${o.payload}: rolled back (${reason}); nothing of it stays on the device.`,
    syncml,
    csp: null,
  };
}

/** Executes one server message against the device; see the file comment. */
class Delivery {
  readonly codes = new Map<number, number>();
  readonly results = new Map<number, Map<string, NodeValue>>();
  readonly outcomes: PendingOutcome[] = [];

  constructor(
    private readonly env: ApplyEnv,
    private readonly actions: Map<number, Action[]>,
  ) {}

  run(body: readonly SyncmlCommand[]): void {
    for (const cmd of body) {
      if (cmd.kind === 'Status' || cmd.kind === 'Results') continue;
      if (cmd.kind === 'Atomic') this.atomic(cmd);
      else if (cmd.kind === 'Sequence') this.run(cmd.children);
      else this.single(cmd);
    }
  }

  private single(cmd: SyncmlCommand): void {
    let result: CmdResult = { code: 200, outcomes: [] };
    savepoint(this.env.ctx, () => {
      result = this.command(cmd, false);
      return isSuccess(result.code);
    });
    this.codes.set(cmd.cmdId, result.code);
    const reason = `command ${cmd.cmdId} failed with ${result.code}`;
    this.outcomes.push(
      ...result.outcomes.map((o) =>
        isSuccess(syncmlOf(o)) && !isSuccess(result.code) ? rolledBack(o, reason, result.code) : o,
      ),
    );
  }

  private atomic(atomic: SyncmlContainer): void {
    const collected: PendingOutcome[] = [];
    const failures: string[] = [];
    const members = (cmds: readonly SyncmlCommand[]): void => {
      for (const child of cmds) {
        if (child.kind === 'Status' || child.kind === 'Results') continue;
        if (child.kind === 'Sequence') {
          members(child.children);
          continue;
        }
        if (child.kind === 'Atomic') {
          this.codes.set(child.cmdId, 500);
          failures.push(
            `Atomic ${child.cmdId} is nested inside Atomic ${atomic.cmdId}, which Windows does not allow (inner 500, parent 507)`,
          );
          for (const { command } of walkCommands(child.children)) {
            for (const action of this.actions.get(command.cmdId) ?? []) {
              const payload = payloadOf(action);
              collected.push({
                payload,
                status: 'failed',
                code: 'SYNCML_INVALID',
                message: `${payload}: not installed: it is inside a nested Atomic (CmdID ${child.cmdId}); Windows answers the inner Atomic 500 and the outer 507. Send one flat Atomic.`,
                syncml: 216,
                csp: null,
              });
            }
          }
          continue;
        }
        const r = this.command(child, true);
        this.codes.set(child.cmdId, r.code);
        collected.push(...r.outcomes);
        if (!isSuccess(r.code)) {
          const first = r.outcomes.find((o) => !isSuccess(syncmlOf(o)));
          failures.push(first?.message ?? `${child.kind} ${child.cmdId} failed with ${r.code}`);
        }
      }
    };
    savepoint(this.env.ctx, () => {
      members(atomic.children);
      return failures.length === 0;
    });
    if (failures.length === 0) {
      this.outcomes.push(...collected);
      return;
    }
    const reason = `Atomic ${atomic.cmdId} failed (507): ${failures[0] ?? ''}`;
    // what installed is rolled back (216); an outcome whose own command failed keeps its status (e.g. the
    // 418 UNCHANGED of a trusted certificate already on the device, trusted-cert-apply.ts)
    this.outcomes.push(
      ...collected.map((o) =>
        o.status === 'installed' && isSuccess(syncmlOf(o)) ? rolledBack(o, reason) : o,
      ),
    );
  }

  private command(cmd: SyncmlCommand, inAtomic: boolean): CmdResult {
    if (cmd.kind === 'Alert') return { code: 200, outcomes: [] };
    if (cmd.kind === 'Get') return inAtomic ? { code: 500, outcomes: [] } : this.get(cmd);
    if (cmd.kind !== 'Add' && cmd.kind !== 'Replace' && cmd.kind !== 'Delete' && cmd.kind !== 'Exec') {
      return { code: 200, outcomes: [] };
    }
    const outcomes: PendingOutcome[] = [];
    const actions = this.actions.get(cmd.cmdId) ?? [];
    // an accepted SCEP Enroll answers 202 and reports nothing yet: its result is read later (scep-apply.ts)
    let accepted = 200;
    for (const action of actions) {
      if (action.kind !== 'scep-enrol') {
        outcomes.push(this.apply(action));
        continue;
      }
      const r = applyScepEnrol(this.env, action.op);
      if ('outcome' in r) outcomes.push(r.outcome);
      else accepted = Math.max(accepted, r.code);
    }
    if (actions.length === 0) {
      outcomes.push(...this.unmodelled(cmd));
      if (cmd.kind === 'Exec') outcomes.push(...this.execNotAllowed(cmd));
    }
    const failed = outcomes.find((o) => !isSuccess(syncmlOf(o)));
    return { code: failed === undefined ? accepted : syncmlOf(failed), outcomes };
  }

  /**
   * An Exec on a node of a modelled CSP that no decoder turned into an action or a problem: only
   * ClientCertificateInstall/SCEP/{id}/Install/Enroll supports Exec (CCI); on any other node the command is
   * not allowed, 405 (OMADM "Command not allowed"), never a silent 200. The decoders already answer the
   * nodes they know (pfx-cert-install.ts, root-ca-trusted-certificates.ts, scep-install-decode.ts); this is
   * the rule for whatever they leave.
   */
  private execNotAllowed(cmd: SyncmlItemCommand): PendingOutcome[] {
    const out: PendingOutcome[] = [];
    for (const item of cmd.items) {
      if (item.target === undefined) continue;
      const segments = splitLocUri(item.target).segments;
      if (!KNOWN_CSPS.some((csp) => csp.every((s, i) => segments[i] === s))) continue;
      out.push({
        payload: payloadNode(item.target),
        status: 'failed',
        code: 'SYNCML_INVALID',
        message: `${item.target}: Exec is not allowed on this node (its supported operations do not include Exec); a device answers 405 Command not allowed.`,
        syncml: 405,
        csp: null,
      });
    }
    return out;
  }

  /** Items outside the CSPs certfleet models: a real device has them, this one answers 404. */
  private unmodelled(cmd: SyncmlItemCommand): PendingOutcome[] {
    const out: PendingOutcome[] = [];
    for (const item of cmd.items) {
      if (item.target === undefined) continue;
      const segments = splitLocUri(item.target).segments;
      if (KNOWN_CSPS.some((csp) => csp.every((s, i) => segments[i] === s))) continue;
      out.push({
        payload: item.target,
        status: 'failed',
        code: 'INSTALL_NOT_FOUND',
        message: `${item.target}: ${cmd.kind} on a node certfleet's Windows device does not model (only RootCATrustedCertificates and ClientCertificateInstall/PFXCertInstall); a device answers 404 for a node it does not have.`,
      });
    }
    return out;
  }

  private get(cmd: SyncmlItemCommand): CmdResult {
    const values = new Map<string, NodeValue>();
    for (const item of cmd.items) {
      if (item.target === undefined) continue;
      const v = nodeValue(this.env.ctx, item.target);
      if (v !== undefined) values.set(item.target, v);
    }
    if (values.size !== cmd.items.length) return { code: 404, outcomes: [] };
    this.results.set(cmd.cmdId, values);
    // the service reads a SCEP node's Status: the enrolment's result, once it has ended (scep-node.ts)
    const outcomes: PendingOutcome[] = [];
    for (const target of values.keys()) {
      if (!target.endsWith('/Status')) continue;
      const r = takeScepResult(this.env.ctx, target.slice(0, -'/Status'.length));
      if (r !== undefined) outcomes.push(r);
    }
    return { code: 200, outcomes };
  }

  private apply(action: Action): PendingOutcome {
    try {
      switch (action.kind) {
        case 'problem':
          return classifyProblem(action.error).outcome;
        case 'trusted':
          return applyTrustedCert(this.env, action.op);
        case 'pfx-install':
          return applyPfxInstall(this.env, action.op);
        case 'pfx-delete':
          return applyPfxDelete(this.env, action.op);
        case 'scep-delete':
          return applyScepDelete(this.env, action.op);
        case 'scep-enrol':
          throw new Error('a SCEP Enroll is applied by command()');
      }
    } catch (e) {
      const payload = payloadOf(action);
      return {
        payload,
        status: 'failed',
        code: 'INTERNAL',
        message: `${payload}: certfleet failed unexpectedly (${(e as Error).message}); this is a bug, please report it.`,
        csp: null,
      };
    }
  }
}

/** Turns pending outcomes into InstallOutcomes with their Windows native status. */
export function toOutcomes(deviceId: string, pending: readonly PendingOutcome[]): InstallOutcome[] {
  return pending.map((o) => ({
    device: deviceId,
    platform: 'windows',
    payload: o.payload,
    status: o.status,
    code: o.code,
    message: o.message,
    native: windowsNative(o.code, {
      ...(o.syncml === undefined ? {} : { syncml: o.syncml }),
      ...(o.csp === undefined ? {} : { csp: o.csp }),
    }),
  }));
}

function tagText(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`).exec(xml)?.[1];
}

/** The reply to a message that does not decode: SyncHdr 400, header fields recovered where possible. */
function rejectReply(raw: Buffer, status: number, deviceId: string): Buffer {
  const text = raw.toString('utf8');
  const hdr = /<SyncHdr>([\s\S]*?)<\/SyncHdr>/.exec(text)?.[1] ?? '';
  const msgId = Number(tagText(hdr, 'MsgID') ?? '1');
  const loc = (el: string): string =>
    tagText(new RegExp(`<${el}>([\\s\\S]*?)</${el}>`).exec(hdr)?.[1] ?? '', 'LocURI') ?? '';
  const request: SyncmlMessage = {
    header: {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: tagText(hdr, 'SessionID') ?? '0',
      msgId: Number.isSafeInteger(msgId) && msgId >= 1 ? msgId : 1,
      target: loc('Target') || deviceId,
      source: loc('Source') || 'unknown-server',
    },
    body: [],
    final: true,
  };
  return encodeSyncml(buildReply({ request, msgId: request.header.msgId + 1, headerStatus: status }));
}

/** Decodes and applies one SyncML message; never throws for bad input. */
export function deliverSyncml(ctx: DeviceContext, payload: Buffer, meta?: DeliveryMeta): DeliveryResult {
  const decoded = decodeSyncml(payload);
  if (!decoded.ok) {
    const outcomes = decoded.problems.map((p) => classifyProblem(p, 400).outcome);
    return {
      outcomes: toOutcomes(ctx.device.id, outcomes),
      reply: rejectReply(decoded.raw, 400, ctx.device.id),
    };
  }
  const message = decoded.message;
  const env: ApplyEnv = { ctx, meta, now: ctx.clock.now() };
  const delivery = new Delivery(env, plan(message));
  try {
    ctx.db.transaction(() => delivery.run(message.body));
  } catch (e) {
    const outcome: PendingOutcome = {
      payload: 'SyncML',
      status: 'failed',
      code: 'INTERNAL',
      message: `certfleet failed unexpectedly while applying the message (${(e as Error).message}); nothing was changed. This is a bug, please report it.`,
      csp: null,
    };
    return {
      outcomes: toOutcomes(ctx.device.id, [outcome]),
      reply: rejectReply(decoded.raw, 500, ctx.device.id),
    };
  }
  const reply = buildReply({
    request: message,
    msgId: message.header.msgId + 1,
    codes: delivery.codes,
    results: delivery.results,
  });
  return {
    outcomes: toOutcomes(ctx.device.id, foldReplacements(delivery.outcomes)),
    reply: encodeSyncml(reply),
  };
}
