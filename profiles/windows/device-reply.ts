/**
 * The device's side of a SyncML exchange: the reply message with one `<Status>` per command (and `<Results>`
 * for Gets), reading such a reply back, the answers to Gets on the PFX Status/Thumbprint nodes and on the
 * inventory nodes, and the DevInfo package a device opens a session with.
 *
 * Models docs/formats.md §2.1 (Status/Results shapes, SyncHdr status with CmdRef 0, Atomic rules, DevInfo package),
 * §2.6 (inventory nodes) and docs/errors.md §1.1: a failed Atomic answers 507, its failing child its own code
 * (typically 500) and every other child 216 (that shape is inferred in docs/errors.md §1.1); a nested Atomic gets
 * 500 and its parent 507; a Get inside Atomic gets 500 (OMADM).
 */
import type { LocUriScope } from './loc-uri.ts';
import type {
  SyncHdr,
  SyncmlCommand,
  SyncmlFormat,
  SyncmlItem,
  SyncmlMessage,
  SyncmlResults,
  SyncmlStatus,
} from './syncml-model.ts';
import { pfxLocUri } from './pfx-cert-install.ts';
import { isContainer } from './syncml-walk.ts';

/** A value returned for one node by a Get (docs/formats.md §2.1 "Results"). */
export interface NodeValue {
  data: string;
  format?: SyncmlFormat;
  type?: string;
}

/** What the device decided for the commands of one server message. */
export interface ReplyInput {
  /** The server message being answered. */
  request: SyncmlMessage;
  /** The MsgID of the reply (the device's own message counter). */
  msgId: number;
  /** The status of the request's SyncHdr (default 200). */
  headerStatus?: number;
  /** The status code per request CmdID; a command not listed gets 200 (and a Get with results gets 200). */
  codes?: ReadonlyMap<number, number>;
  /** The results per Get CmdID, one value per LocURI the Get named. */
  results?: ReadonlyMap<number, ReadonlyMap<string, NodeValue>>;
}

function isSuccess(code: number): boolean {
  return code >= 200 && code < 300;
}

/**
 * Builds the reply: header (same session, `target`/`source` swapped), the SyncHdr status (CmdRef 0), then one
 * Status per command in document order (a container before its children), each Results right after the
 * Status of its Get. Status and Results commands of the request are not answered. CmdIDs run from 1.
 */
export function buildReply(input: ReplyInput): SyncmlMessage {
  const { request } = input;
  const header: SyncHdr = {
    verDtd: '1.2',
    verProto: 'DM/1.2',
    sessionId: request.header.sessionId,
    msgId: input.msgId,
    target: request.header.source,
    source: request.header.target,
  };
  const body: SyncmlCommand[] = [];
  let next = 1;
  const msgRef = request.header.msgId;
  const status = (
    cmdRef: number,
    cmd: SyncmlStatus['cmd'],
    code: number,
    targetRefs: string[] = [],
    sourceRefs: string[] = [],
  ): void => {
    body.push({
      kind: 'Status',
      cmdId: next++,
      msgRef,
      cmdRef,
      cmd,
      targetRefs,
      sourceRefs,
      code,
      items: [],
    });
  };
  status(0, 'SyncHdr', input.headerStatus ?? 200, [request.header.target], [request.header.source]);

  const codeOf = (cmd: SyncmlCommand): number => input.codes?.get(cmd.cmdId) ?? 200;
  const answer = (cmds: readonly SyncmlCommand[], inAtomic: boolean): void => {
    for (const cmd of cmds) answerOne(cmd, inAtomic);
  };
  const answerOne = (cmd: SyncmlCommand, inAtomic: boolean, forced?: number): void => {
    if (cmd.kind === 'Status' || cmd.kind === 'Results') return;
    if (isContainer(cmd)) {
      if (cmd.kind === 'Sequence') {
        status(cmd.cmdId, 'Sequence', forced ?? codeOf(cmd));
        answer(cmd.children, inAtomic);
        return;
      }
      const childCodes = atomicChildCodes(cmd.children, codeOf);
      const failed = inAtomic || [...childCodes.values()].some((c) => !isSuccess(c));
      status(cmd.cmdId, 'Atomic', forced ?? (inAtomic ? 500 : failed ? 507 : codeOf(cmd)));
      for (const child of cmd.children) {
        if (child.kind === 'Status' || child.kind === 'Results') continue;
        const own = childCodes.get(child.cmdId) ?? 200;
        answerOne(child, true, failed ? (isSuccess(own) ? 216 : own) : own);
      }
      return;
    }
    const code = forced ?? (inAtomic && cmd.kind === 'Get' ? 500 : codeOf(cmd));
    const refs =
      cmd.kind === 'Alert' ? [] : cmd.items.flatMap((i) => (i.target === undefined ? [] : [i.target]));
    status(cmd.cmdId, cmd.kind, code, refs);
    const values = input.results?.get(cmd.cmdId);
    if (cmd.kind === 'Get' && isSuccess(code) && values !== undefined) {
      const items: SyncmlItem[] = [];
      for (const item of cmd.items) {
        const v = item.target === undefined ? undefined : values.get(item.target);
        if (v === undefined || item.target === undefined) continue;
        const out: SyncmlItem = { source: item.target, data: v.data };
        if (v.format !== undefined || v.type !== undefined) {
          out.meta = {};
          if (v.format !== undefined) out.meta.format = v.format;
          if (v.type !== undefined) out.meta.type = v.type;
        }
        items.push(out);
      }
      const results: SyncmlResults = { kind: 'Results', cmdId: next++, msgRef, cmdRef: cmd.cmdId, items };
      body.push(results);
    }
  };
  answer(request.body, false);
  return { header, body, final: true };
}

/** The codes the children of an Atomic earn before roll-back: nested Atomic and Get inside Atomic → 500. */
function atomicChildCodes(
  children: readonly SyncmlCommand[],
  codeOf: (cmd: SyncmlCommand) => number,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const child of children) {
    if (child.kind === 'Atomic' || child.kind === 'Get') out.set(child.cmdId, 500);
    else out.set(child.cmdId, codeOf(child));
  }
  return out;
}

/** A reply read back: the header status and, per request CmdID, its Status and Results. */
export interface ReadReply {
  headerStatus?: SyncmlStatus;
  statuses: Map<number, SyncmlStatus>;
  results: Map<number, SyncmlResults>;
}

/** Indexes the Status and Results commands of a decoded device reply by the CmdID they answer. */
export function readReply(reply: SyncmlMessage): ReadReply {
  const out: ReadReply = { statuses: new Map(), results: new Map() };
  for (const cmd of reply.body) {
    if (cmd.kind === 'Status') {
      if (cmd.cmd === 'SyncHdr' && cmd.cmdRef === 0) out.headerStatus = cmd;
      else out.statuses.set(cmd.cmdRef, cmd);
    } else if (cmd.kind === 'Results') {
      out.results.set(cmd.cmdRef, cmd);
    }
  }
  return out;
}

/** The value a reply's Results give for a LocURI, if any. */
export function resultValue(reply: ReadReply, locUri: string): string | undefined {
  for (const r of reply.results.values()) {
    for (const item of r.items) if (item.source === locUri) return item.data ?? '';
  }
  return undefined;
}

/**
 * The device's values for a Get on `PFXCertInstall/{id}/Status` and `/Thumbprint` (CCI): Status is the
 * GetLastError code after PFXImportCertStore (0 on success; value format inferred, docs/errors.md §5.1), Thumbprint
 * the installed certificate's SHA-1 hex.
 */
export function pfxStatusValues(
  scope: LocUriScope,
  uniqueId: string,
  state: { status: number; thumbprint?: string },
): Map<string, NodeValue> {
  const values = new Map<string, NodeValue>([
    [pfxLocUri(scope, uniqueId, 'Status'), { data: String(state.status), format: 'int' }],
  ]);
  if (state.thumbprint !== undefined) {
    values.set(pfxLocUri(scope, uniqueId, 'Thumbprint'), { data: state.thumbprint, format: 'chr' });
  }
  return values;
}

/**
 * Answers every Get of a request from a `{locUri: value}` table (device inventory: DevInfo, DevDetail,
 * DeviceStatus… docs/formats.md §2.6): a Get whose LocURIs all have values → 200 and Results; otherwise 404 (OMADM:
 * "generated if you query a node that doesn't exist"). Feed the output into {@link buildReply}.
 */
export function answerGets(
  request: SyncmlMessage,
  values: Readonly<Record<string, string | NodeValue>>,
): { codes: Map<number, number>; results: Map<number, Map<string, NodeValue>> } {
  const codes = new Map<number, number>();
  const results = new Map<number, Map<string, NodeValue>>();
  const visit = (cmds: readonly SyncmlCommand[]): void => {
    for (const cmd of cmds) {
      if (cmd.kind === 'Atomic' || cmd.kind === 'Sequence') visit(cmd.children);
      if (cmd.kind !== 'Get') continue;
      const found = new Map<string, NodeValue>();
      for (const item of cmd.items) {
        const v = item.target === undefined ? undefined : values[item.target];
        if (v !== undefined && item.target !== undefined) {
          found.set(item.target, typeof v === 'string' ? { data: v, format: 'chr' } : v);
        }
      }
      if (found.size === cmd.items.length) {
        codes.set(cmd.cmdId, 200);
        results.set(cmd.cmdId, found);
      } else {
        codes.set(cmd.cmdId, 404);
      }
    }
  };
  visit(request.body);
  return { codes, results };
}

/**
 * The message a device opens a session with: `Alert 1201` (client-initiated session, [MS-MDM] §3.1.5.1.2)
 * and a `Replace` whose items carry `<Source>` LocURIs with the DevInfo values (docs/formats.md §2.1 "DevInfo").
 */
export function buildDevInfoPackage(input: {
  sessionId: string;
  msgId: number;
  /** The device id (`./DevInfo/DevId`), used as the header Source. */
  deviceId: string;
  serverUri: string;
  values: Readonly<Record<string, string>>;
}): SyncmlMessage {
  const items: SyncmlItem[] = Object.entries(input.values).map(([source, data]) => ({ source, data }));
  return {
    header: {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: input.sessionId,
      msgId: input.msgId,
      target: input.serverUri,
      source: input.deviceId,
    },
    body: [
      { kind: 'Alert', cmdId: 1, code: 1201, items: [] },
      { kind: 'Replace', cmdId: 2, items },
    ],
    final: true,
  };
}
