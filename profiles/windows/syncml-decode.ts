/**
 * Strict decoding of SyncML 1.2 XML into a {@link SyncmlMessage}, as strictly as a Windows device would read it.
 *
 * XML that is not well-formed → SYNCML_PARSE with line and column. Structure errors (docs/formats.md §2.1, OMADM:
 * missing CmdID, an element that is not a command under SyncBody/Atomic/Sequence, a non-numeric or duplicated
 * CmdID, a LocURI that starts with `/`, a `.` that is not the first segment, an empty or `*` node name, a Meta
 * child outside `syncml:metinf`…) → SYNCML_INVALID with the element path, its line/column, and the status (400)
 * a device answers. Every problem is collected, not only the first. The raw bytes are kept either way.
 */
import type { Element, Node } from '@xmldom/xmldom';
import type { CertfleetError } from '../../pki/errors.ts';
import { locUriFault } from './loc-uri.ts';
import { syncmlProblem } from './syncml-problem.ts';
import { parseStrictXml } from './xml-well-formed.ts';
import {
  METINF_NAMESPACE,
  SYNCML_COMMAND_NAMES,
  SYNCML_FORMATS,
  SYNCML_NAMESPACE,
  type SyncHdr,
  type SyncmlCommand,
  type SyncmlCommandName,
  type SyncmlFormat,
  type SyncmlItem,
  type SyncmlMessage,
  type SyncmlMeta,
  type SyncmlStatusCmd,
} from './syncml-model.ts';

/** The outcome of {@link decodeSyncml}: the message, or every problem found; the raw bytes either way. */
export type SyncmlDecodeResult =
  { ok: true; message: SyncmlMessage; raw: Buffer } | { ok: false; problems: CertfleetError[]; raw: Buffer };

/** Decodes SyncML XML bytes strictly. */
export function decodeSyncml(bytes: Uint8Array | string): SyncmlDecodeResult {
  const raw = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  const parsed = parseStrictXml(raw);
  if (!parsed.ok) return { ok: false, problems: [parsed.problem], raw };
  const ctx: Ctx = { problems: [], cmdIds: new Set() };
  const message = readMessage(ctx, parsed.doc.documentElement as Element);
  if (ctx.problems.length > 0 || message === undefined) return { ok: false, problems: ctx.problems, raw };
  return { ok: true, message, raw };
}

interface Ctx {
  problems: CertfleetError[];
  cmdIds: Set<number>;
}

const COMMANDS = new Set<string>(SYNCML_COMMAND_NAMES);
const CONTAINED = new Set<string>(['Add', 'Replace', 'Delete', 'Get', 'Exec', 'Alert', 'Atomic', 'Sequence']);

function fail(ctx: Ctx, el: Element | undefined, path: string, message: string, cmdId?: number): void {
  const loc = el as unknown as { lineNumber?: number; columnNumber?: number } | undefined;
  ctx.problems.push(
    syncmlProblem('SYNCML_INVALID', `${path}: ${message}`, {
      path,
      line: loc?.lineNumber,
      column: loc?.columnNumber,
      cmdId,
      status: 400,
    }),
  );
}

function isElement(n: Node): n is Element {
  return n.nodeType === 1;
}

/** Element children; non-blank text or CDATA between them is a problem. */
function children(ctx: Ctx, el: Element, path: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n !== null; n = n.nextSibling) {
    if (isElement(n)) out.push(n);
    else if ((n.nodeType === 3 || n.nodeType === 4) && (n.nodeValue ?? '').trim() !== '') {
      fail(ctx, el, path, `unexpected text "${(n.nodeValue ?? '').trim().slice(0, 40)}" between elements`);
    }
  }
  return out;
}

/** The text of a leaf element (text and CDATA joined); element children are a problem. */
function leafText(ctx: Ctx, el: Element, path: string): string {
  let s = '';
  for (let n = el.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === 3 || n.nodeType === 4) s += n.nodeValue ?? '';
    else if (isElement(n)) {
      fail(
        ctx,
        el,
        path,
        `<${el.localName}> must hold text, not a <${n.localName}> element (escape embedded XML)`,
      );
    }
  }
  return s;
}

function checkNs(ctx: Ctx, el: Element, path: string, ns: string): boolean {
  if (el.namespaceURI === ns) return true;
  fail(
    ctx,
    el,
    path,
    `<${el.localName}> must be in namespace "${ns}", found "${el.namespaceURI ?? '(none)'}"`,
  );
  return false;
}

/** Groups children by name, reporting unknown names, wrong namespaces and repeats of single elements. */
function fields(
  ctx: Ctx,
  el: Element,
  path: string,
  allowed: { single: string[]; multi?: string[] },
  cmdId?: number,
): Map<string, Element[]> {
  const map = new Map<string, Element[]>();
  for (const c of children(ctx, el, path)) {
    const name = c.localName ?? '';
    const list = map.get(name) ?? [];
    list.push(c);
    map.set(name, list);
    const cpath = `${path}/${name}${allowed.multi?.includes(name) ? `[${list.length}]` : ''}`;
    if (!allowed.single.includes(name) && !(allowed.multi ?? []).includes(name)) {
      fail(ctx, c, cpath, `<${name}> is not allowed inside <${el.localName}>`, cmdId);
      continue;
    }
    checkNs(ctx, c, cpath, SYNCML_NAMESPACE);
    if (allowed.single.includes(name) && list.length > 1) {
      fail(ctx, c, cpath, `<${name}> appears more than once inside <${el.localName}>`, cmdId);
    }
  }
  return map;
}

function one(map: Map<string, Element[]>, name: string): Element | undefined {
  return map.get(name)?.[0];
}

function requiredText(
  ctx: Ctx,
  map: Map<string, Element[]>,
  parent: Element,
  path: string,
  name: string,
  cmdId?: number,
): string | undefined {
  const el = one(map, name);
  if (el === undefined) {
    fail(ctx, parent, path, `<${name}> is required`, cmdId);
    return undefined;
  }
  return leafText(ctx, el, `${path}/${name}`).trim();
}

function integer(
  ctx: Ctx,
  el: Element | undefined,
  path: string,
  value: string | undefined,
  min: number,
  cmdId?: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < min) {
    fail(ctx, el, path, `"${value}" is not an integer ≥ ${min}`, cmdId);
    return undefined;
  }
  return Number(value);
}

function readMessage(ctx: Ctx, root: Element): SyncmlMessage | undefined {
  if (root.localName !== 'SyncML') {
    fail(ctx, root, root.localName ?? '?', 'the root element must be <SyncML>');
    return undefined;
  }
  if (!checkNs(ctx, root, 'SyncML', SYNCML_NAMESPACE)) return undefined;
  const map = fields(ctx, root, 'SyncML', { single: ['SyncHdr', 'SyncBody'] });
  const hdrEl = one(map, 'SyncHdr');
  const bodyEl = one(map, 'SyncBody');
  if (hdrEl === undefined) fail(ctx, root, 'SyncML', '<SyncHdr> is required');
  if (bodyEl === undefined) fail(ctx, root, 'SyncML', '<SyncBody> is required');
  const names = children(ctx, root, 'SyncML').map((c) => c.localName);
  if (names[0] === 'SyncBody') fail(ctx, root, 'SyncML', '<SyncHdr> must come before <SyncBody>');
  const header = hdrEl === undefined ? undefined : readHeader(ctx, hdrEl, 'SyncML/SyncHdr');
  const body = bodyEl === undefined ? undefined : readBody(ctx, bodyEl, 'SyncML/SyncBody');
  if (header === undefined || body === undefined) return undefined;
  return { header, body: body.commands, final: body.final };
}

function readHeader(ctx: Ctx, el: Element, path: string): SyncHdr | undefined {
  const map = fields(ctx, el, path, {
    single: ['VerDTD', 'VerProto', 'SessionID', 'MsgID', 'Target', 'Source', 'RespURI', 'Meta'],
  });
  const verDtd = requiredText(ctx, map, el, path, 'VerDTD');
  if (verDtd !== undefined && verDtd !== '1.2') {
    fail(ctx, one(map, 'VerDTD'), `${path}/VerDTD`, `VerDTD must be "1.2" (got "${verDtd}")`);
  }
  const verProto = requiredText(ctx, map, el, path, 'VerProto');
  if (verProto !== undefined && verProto !== 'DM/1.2') {
    fail(ctx, one(map, 'VerProto'), `${path}/VerProto`, `VerProto must be "DM/1.2" (got "${verProto}")`);
  }
  const sessionId = requiredText(ctx, map, el, path, 'SessionID');
  if (sessionId === '') fail(ctx, one(map, 'SessionID'), `${path}/SessionID`, 'SessionID is empty');
  const msgIdText = requiredText(ctx, map, el, path, 'MsgID');
  const msgId = integer(ctx, one(map, 'MsgID'), `${path}/MsgID`, msgIdText, 1);
  const target = hdrLocUri(ctx, map, el, path, 'Target');
  const source = hdrLocUri(ctx, map, el, path, 'Source');
  const respUriEl = one(map, 'RespURI');
  const respUri = respUriEl === undefined ? undefined : leafText(ctx, respUriEl, `${path}/RespURI`).trim();
  let maxMsgSize: number | undefined;
  const metaEl = one(map, 'Meta');
  if (metaEl !== undefined) {
    for (const c of children(ctx, metaEl, `${path}/Meta`)) {
      const cpath = `${path}/Meta/${c.localName}`;
      if (!checkNs(ctx, c, cpath, METINF_NAMESPACE)) continue;
      if (c.localName !== 'MaxMsgSize') {
        fail(ctx, c, cpath, `<${c.localName}> is not supported in the header Meta (only MaxMsgSize)`);
        continue;
      }
      maxMsgSize = integer(ctx, c, cpath, leafText(ctx, c, cpath).trim(), 1);
    }
  }
  if (
    sessionId === undefined ||
    sessionId === '' ||
    msgId === undefined ||
    target === undefined ||
    source === undefined ||
    verDtd !== '1.2' ||
    verProto !== 'DM/1.2'
  ) {
    return undefined;
  }
  const header: SyncHdr = { verDtd, verProto, sessionId, msgId, target, source };
  if (respUri !== undefined) header.respUri = respUri;
  if (maxMsgSize !== undefined) header.maxMsgSize = maxMsgSize;
  return header;
}

function hdrLocUri(
  ctx: Ctx,
  map: Map<string, Element[]>,
  parent: Element,
  path: string,
  name: 'Target' | 'Source',
): string | undefined {
  const el = one(map, name);
  if (el === undefined) {
    fail(ctx, parent, path, `<${name}> is required`);
    return undefined;
  }
  const inner = fields(ctx, el, `${path}/${name}`, { single: ['LocURI'] });
  const value = requiredText(ctx, inner, el, `${path}/${name}`, 'LocURI');
  if (value === '') fail(ctx, el, `${path}/${name}/LocURI`, 'the LocURI is empty');
  return value === '' ? undefined : value;
}

function readBody(ctx: Ctx, el: Element, path: string): { commands: SyncmlCommand[]; final: boolean } {
  const commands: SyncmlCommand[] = [];
  let final = false;
  const counts = new Map<string, number>();
  const kids = children(ctx, el, path);
  for (const [i, c] of kids.entries()) {
    const name = c.localName ?? '';
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    const cpath = `${path}/${name}[${n}]`;
    if (name === 'Final') {
      checkNs(ctx, c, cpath, SYNCML_NAMESPACE);
      if (i !== kids.length - 1) fail(ctx, c, cpath, '<Final/> must be the last element of <SyncBody>');
      if (children(ctx, c, cpath).length > 0) fail(ctx, c, cpath, '<Final/> must be empty');
      final = true;
      continue;
    }
    if (!COMMANDS.has(name)) {
      fail(
        ctx,
        c,
        cpath,
        `<${name}> is not a SyncML command (expected one of ${SYNCML_COMMAND_NAMES.join(', ')})`,
      );
      continue;
    }
    const cmd = readCommand(ctx, c, cpath);
    if (cmd !== undefined) commands.push(cmd);
  }
  return { commands, final };
}

function readCmdId(ctx: Ctx, map: Map<string, Element[]>, el: Element, path: string): number | undefined {
  const idEl = one(map, 'CmdID');
  if (idEl === undefined) {
    fail(ctx, el, path, `<${el.localName}> has no <CmdID> (a device answers 400 with a blank status)`);
    return undefined;
  }
  const text = leafText(ctx, idEl, `${path}/CmdID`).trim();
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < 1) {
    fail(ctx, idEl, `${path}/CmdID`, `CmdID "${text}" is not a positive integer`);
    return undefined;
  }
  const id = Number(text);
  if (ctx.cmdIds.has(id)) fail(ctx, idEl, `${path}/CmdID`, `CmdID ${id} is used twice in the message`, id);
  ctx.cmdIds.add(id);
  return id;
}

function readCommand(ctx: Ctx, el: Element, path: string): SyncmlCommand | undefined {
  const kind = el.localName as SyncmlCommandName;
  if (!checkNs(ctx, el, path, SYNCML_NAMESPACE)) return undefined;
  switch (kind) {
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Get':
    case 'Exec': {
      const map = fields(ctx, el, path, { single: ['CmdID', 'Meta'], multi: ['Item'] });
      const cmdId = readCmdId(ctx, map, el, path);
      const meta = readMeta(ctx, one(map, 'Meta'), `${path}/Meta`, cmdId);
      // Server commands address nodes with <Target>; a device's own Replace/Add (the DevInfo package) uses
      // <Source> (docs/formats.md §2.1 "DevInfo"), so Add/Replace take either; Get/Delete/Exec need <Target>.
      const needsTarget = kind === 'Get' || kind === 'Delete' || kind === 'Exec';
      const items = readItems(ctx, map, el, path, cmdId, {
        target: needsTarget ? 'required' : 'either',
        source: needsTarget ? 'forbidden' : 'either',
      });
      if (cmdId === undefined || items === undefined) return undefined;
      return meta === undefined ? { kind, cmdId, items } : { kind, cmdId, meta, items };
    }
    case 'Alert': {
      const map = fields(ctx, el, path, { single: ['CmdID', 'Data'], multi: ['Item'] });
      const cmdId = readCmdId(ctx, map, el, path);
      const codeText = requiredText(ctx, map, el, path, 'Data', cmdId);
      const code = integer(ctx, one(map, 'Data'), `${path}/Data`, codeText, 0, cmdId);
      const items = readItems(ctx, map, el, path, cmdId, { target: 'optional', source: 'optional', min: 0 });
      if (cmdId === undefined || code === undefined || items === undefined) return undefined;
      return { kind, cmdId, code, items };
    }
    case 'Atomic':
    case 'Sequence': {
      const kids = children(ctx, el, path);
      const map = new Map<string, Element[]>();
      const childCmds: SyncmlCommand[] = [];
      let meta: SyncmlMeta | undefined;
      const counts = new Map<string, number>();
      for (const c of kids) {
        if (c.localName === 'CmdID') {
          map.set('CmdID', [...(map.get('CmdID') ?? []), c]);
        }
      }
      if ((map.get('CmdID') ?? []).length > 1) fail(ctx, el, path, '<CmdID> appears more than once');
      const cmdId = readCmdId(ctx, map, el, path);
      for (const c of kids) {
        const name = c.localName ?? '';
        const n = (counts.get(name) ?? 0) + 1;
        counts.set(name, n);
        const cpath = `${path}/${name}[${n}]`;
        if (name === 'CmdID') continue;
        if (name === 'Meta') {
          meta = readMeta(ctx, c, cpath, cmdId);
          continue;
        }
        if (!CONTAINED.has(name)) {
          fail(ctx, c, cpath, `<${name}> is not a command allowed inside <${kind}>`, cmdId);
          continue;
        }
        const child = readCommand(ctx, c, cpath);
        if (child !== undefined) childCmds.push(child);
      }
      if (cmdId === undefined) return undefined;
      return meta === undefined
        ? { kind, cmdId, children: childCmds }
        : { kind, cmdId, meta, children: childCmds };
    }
    case 'Status': {
      const map = fields(ctx, el, path, {
        single: ['CmdID', 'MsgRef', 'CmdRef', 'Cmd', 'Data'],
        multi: ['TargetRef', 'SourceRef', 'Item'],
      });
      const cmdId = readCmdId(ctx, map, el, path);
      const msgRef = integer(
        ctx,
        one(map, 'MsgRef'),
        `${path}/MsgRef`,
        requiredText(ctx, map, el, path, 'MsgRef'),
        1,
      );
      const cmdRef = integer(
        ctx,
        one(map, 'CmdRef'),
        `${path}/CmdRef`,
        requiredText(ctx, map, el, path, 'CmdRef'),
        0,
      );
      const cmd = requiredText(ctx, map, el, path, 'Cmd', cmdId);
      if (cmd !== undefined && cmd !== 'SyncHdr' && !COMMANDS.has(cmd)) {
        fail(ctx, one(map, 'Cmd'), `${path}/Cmd`, `"${cmd}" is not a SyncML command name or SyncHdr`, cmdId);
      }
      const codeText = requiredText(ctx, map, el, path, 'Data', cmdId);
      let code: number | undefined;
      if (codeText !== undefined) {
        if (/^[1-5][0-9]{2}$/.test(codeText)) code = Number(codeText);
        else
          fail(
            ctx,
            one(map, 'Data'),
            `${path}/Data`,
            `status code "${codeText}" is not a 3-digit code`,
            cmdId,
          );
      }
      const targetRefs = (map.get('TargetRef') ?? []).map((t, i) =>
        leafText(ctx, t, `${path}/TargetRef[${i + 1}]`),
      );
      const sourceRefs = (map.get('SourceRef') ?? []).map((t, i) =>
        leafText(ctx, t, `${path}/SourceRef[${i + 1}]`),
      );
      const items = readItems(ctx, map, el, path, cmdId, { target: 'optional', source: 'optional', min: 0 });
      if (
        cmdId === undefined ||
        msgRef === undefined ||
        cmdRef === undefined ||
        cmd === undefined ||
        code === undefined ||
        items === undefined
      ) {
        return undefined;
      }
      return {
        kind,
        cmdId,
        msgRef,
        cmdRef,
        cmd: cmd as SyncmlStatusCmd,
        targetRefs,
        sourceRefs,
        code,
        items,
      };
    }
    case 'Results': {
      const map = fields(ctx, el, path, {
        single: ['CmdID', 'MsgRef', 'CmdRef', 'Meta', 'TargetRef', 'SourceRef'],
        multi: ['Item'],
      });
      const cmdId = readCmdId(ctx, map, el, path);
      const msgRefEl = one(map, 'MsgRef');
      const msgRef =
        msgRefEl === undefined
          ? undefined
          : integer(
              ctx,
              msgRefEl,
              `${path}/MsgRef`,
              leafText(ctx, msgRefEl, `${path}/MsgRef`).trim(),
              1,
              cmdId,
            );
      const cmdRef = integer(
        ctx,
        one(map, 'CmdRef'),
        `${path}/CmdRef`,
        requiredText(ctx, map, el, path, 'CmdRef'),
        1,
      );
      const meta = readMeta(ctx, one(map, 'Meta'), `${path}/Meta`, cmdId);
      const tEl = one(map, 'TargetRef');
      const sEl = one(map, 'SourceRef');
      const items = readItems(ctx, map, el, path, cmdId, { target: 'optional', source: 'required' });
      if (cmdId === undefined || cmdRef === undefined || items === undefined) return undefined;
      if (msgRefEl !== undefined && msgRef === undefined) return undefined;
      const out: SyncmlCommand = { kind, cmdId, cmdRef, items };
      if (msgRef !== undefined) out.msgRef = msgRef;
      if (meta !== undefined) out.meta = meta;
      if (tEl !== undefined) out.targetRef = leafText(ctx, tEl, `${path}/TargetRef`);
      if (sEl !== undefined) out.sourceRef = leafText(ctx, sEl, `${path}/SourceRef`);
      return out;
    }
  }
}

function readMeta(ctx: Ctx, el: Element | undefined, path: string, cmdId?: number): SyncmlMeta | undefined {
  if (el === undefined) return undefined;
  const meta: SyncmlMeta = {};
  const seen = new Set<string>();
  for (const c of children(ctx, el, path)) {
    const name = c.localName ?? '';
    const cpath = `${path}/${name}`;
    if (!checkNs(ctx, c, cpath, METINF_NAMESPACE)) continue;
    if (seen.has(name)) fail(ctx, c, cpath, `<${name}> appears more than once in <Meta>`, cmdId);
    seen.add(name);
    const value = leafText(ctx, c, cpath).trim();
    if (name === 'Format') {
      if ((SYNCML_FORMATS as readonly string[]).includes(value)) meta.format = value as SyncmlFormat;
      else fail(ctx, c, cpath, `Format "${value}" is not one of ${SYNCML_FORMATS.join(', ')}`, cmdId);
    } else if (name === 'Type') {
      meta.type = value;
    } else {
      fail(ctx, c, cpath, `<${name}> is not supported in an item Meta (only Format and Type)`, cmdId);
    }
  }
  return meta;
}

function readItems(
  ctx: Ctx,
  map: Map<string, Element[]>,
  parent: Element,
  path: string,
  cmdId: number | undefined,
  rule: {
    target: 'required' | 'optional' | 'either';
    source: 'required' | 'optional' | 'forbidden' | 'either';
    min?: number;
  },
): SyncmlItem[] | undefined {
  const els = map.get('Item') ?? [];
  if (els.length < (rule.min ?? 1)) {
    fail(ctx, parent, path, `<${parent.localName}> needs at least one <Item>`, cmdId);
    return undefined;
  }
  const before = ctx.problems.length;
  const items = els.map((itemEl, i) => {
    const ipath = `${path}/Item[${i + 1}]`;
    const imap = fields(ctx, itemEl, ipath, { single: ['Target', 'Source', 'Meta', 'Data'] }, cmdId);
    const item: SyncmlItem = {};
    const target = itemLocUri(ctx, imap, ipath, 'Target', cmdId);
    const source = itemLocUri(ctx, imap, ipath, 'Source', cmdId);
    if (target !== undefined) item.target = target;
    if (source !== undefined) item.source = source;
    if (rule.target === 'required' && one(imap, 'Target') === undefined) {
      fail(ctx, itemEl, ipath, `an <Item> of <${parent.localName}> needs <Target><LocURI>`, cmdId);
    }
    if (rule.source === 'required' && one(imap, 'Source') === undefined) {
      fail(ctx, itemEl, ipath, `an <Item> of <${parent.localName}> needs <Source><LocURI>`, cmdId);
    }
    if (rule.target === 'either' && one(imap, 'Target') === undefined && one(imap, 'Source') === undefined) {
      fail(
        ctx,
        itemEl,
        ipath,
        `an <Item> of <${parent.localName}> needs <Target> or <Source> with a <LocURI>`,
        cmdId,
      );
    }
    if (rule.source === 'forbidden' && one(imap, 'Source') !== undefined) {
      fail(ctx, itemEl, ipath, `an <Item> of <${parent.localName}> takes <Target>, not <Source>`, cmdId);
    }
    const meta = readMeta(ctx, one(imap, 'Meta'), `${ipath}/Meta`, cmdId);
    if (meta !== undefined) item.meta = meta;
    const dataEl = one(imap, 'Data');
    if (dataEl !== undefined) item.data = leafText(ctx, dataEl, `${ipath}/Data`);
    return item;
  });
  return ctx.problems.length > before ? undefined : items;
}

function itemLocUri(
  ctx: Ctx,
  map: Map<string, Element[]>,
  path: string,
  name: 'Target' | 'Source',
  cmdId: number | undefined,
): string | undefined {
  const el = one(map, name);
  if (el === undefined) return undefined;
  const p = `${path}/${name}`;
  const inner = fields(ctx, el, p, { single: ['LocURI'] }, cmdId);
  const value = requiredText(ctx, inner, el, p, 'LocURI', cmdId);
  if (value === undefined) return undefined;
  const fault = locUriFault(value);
  if (fault !== undefined) {
    const locEl = one(inner, 'LocURI');
    fail(ctx, locEl, `${p}/LocURI`, `LocURI "${value}" is malformed: ${fault}`, cmdId);
    return undefined;
  }
  return value;
}
