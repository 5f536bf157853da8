/**
 * Encodes a {@link SyncmlMessage} as SyncML 1.2 XML: `<SyncML xmlns="SYNCML:SYNCML1.2">`, Meta children in
 * `xmlns="syncml:metinf"`, elements in the DTD's order, 2-space indentation and a trailing newline. Pure and
 * deterministic: the same message always gives the same bytes (docs/formats.md §2.1).
 */
import { create } from 'xmlbuilder2';
import { CertfleetError } from '../../pki/errors.ts';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import {
  METINF_NAMESPACE,
  SYNCML_NAMESPACE,
  type SyncmlCommand,
  type SyncmlItem,
  type SyncmlMessage,
  type SyncmlMeta,
} from './syncml-model.ts';

/** Encodes a SyncML message to UTF-8 XML bytes. */
export function encodeSyncml(message: SyncmlMessage): Buffer {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele(SYNCML_NAMESPACE, 'SyncML');
  const hdr = root.ele('SyncHdr');
  const h = message.header;
  text(hdr, 'VerDTD', h.verDtd);
  text(hdr, 'VerProto', h.verProto);
  text(hdr, 'SessionID', h.sessionId);
  text(hdr, 'MsgID', String(h.msgId));
  text(hdr.ele('Target'), 'LocURI', h.target);
  text(hdr.ele('Source'), 'LocURI', h.source);
  if (h.respUri !== undefined) text(hdr, 'RespURI', h.respUri);
  if (h.maxMsgSize !== undefined) {
    hdr.ele('Meta').ele(METINF_NAMESPACE, 'MaxMsgSize').txt(String(h.maxMsgSize));
  }
  const body = root.ele('SyncBody');
  for (const cmd of message.body) command(body, cmd);
  if (message.final) body.ele('Final');
  const xml = root.end({ prettyPrint: true, indent: '  ' });
  const bad = FORBIDDEN_CHAR.exec(xml);
  if (bad !== null) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new CertfleetError(
      'SYNCML_INVALID',
      `A SyncML value contains character U+${code}, which XML 1.0 cannot carry. Base64-encode such data (Format b64).`,
    );
  }
  // Indentation only ever adds "\n", so every CR comes from a value: escape it so that XML end-of-line
  // normalisation cannot turn "\r\n" into "\n" and the value round-trips exactly.
  return Buffer.from(xml.replace(/\r/g, '&#xD;') + '\n', 'utf8');
}

// Characters outside the XML 1.0 Char production (CR, LF and TAB are allowed).
// eslint-disable-next-line no-control-regex -- matching the control characters XML forbids is the point
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function text(parent: XMLBuilder, name: string, value: string): void {
  const el = parent.ele(name);
  if (value !== '') el.txt(value);
}

function meta(parent: XMLBuilder, m: SyncmlMeta | undefined): void {
  if (m === undefined) return;
  const el = parent.ele('Meta');
  if (m.format !== undefined) el.ele(METINF_NAMESPACE, 'Format').txt(m.format);
  if (m.type !== undefined) el.ele(METINF_NAMESPACE, 'Type').txt(m.type);
}

function item(parent: XMLBuilder, it: SyncmlItem): void {
  const el = parent.ele('Item');
  if (it.target !== undefined) text(el.ele('Target'), 'LocURI', it.target);
  if (it.source !== undefined) text(el.ele('Source'), 'LocURI', it.source);
  meta(el, it.meta);
  if (it.data !== undefined) text(el, 'Data', it.data);
}

function command(parent: XMLBuilder, cmd: SyncmlCommand): void {
  const el = parent.ele(cmd.kind);
  text(el, 'CmdID', String(cmd.cmdId));
  switch (cmd.kind) {
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Get':
    case 'Exec':
      meta(el, cmd.meta);
      for (const it of cmd.items) item(el, it);
      return;
    case 'Alert':
      text(el, 'Data', String(cmd.code));
      for (const it of cmd.items) item(el, it);
      return;
    case 'Atomic':
    case 'Sequence':
      meta(el, cmd.meta);
      for (const child of cmd.children) command(el, child);
      return;
    case 'Status':
      text(el, 'MsgRef', String(cmd.msgRef));
      text(el, 'CmdRef', String(cmd.cmdRef));
      text(el, 'Cmd', cmd.cmd);
      for (const t of cmd.targetRefs) text(el, 'TargetRef', t);
      for (const s of cmd.sourceRefs) text(el, 'SourceRef', s);
      text(el, 'Data', String(cmd.code));
      for (const it of cmd.items) item(el, it);
      return;
    case 'Results':
      if (cmd.msgRef !== undefined) text(el, 'MsgRef', String(cmd.msgRef));
      text(el, 'CmdRef', String(cmd.cmdRef));
      meta(el, cmd.meta);
      if (cmd.targetRef !== undefined) text(el, 'TargetRef', cmd.targetRef);
      if (cmd.sourceRef !== undefined) text(el, 'SourceRef', cmd.sourceRef);
      for (const it of cmd.items) item(el, it);
      return;
  }
}
