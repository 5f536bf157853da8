/**
 * What `certfleet inspect` reads before a device sees it (issue 12 point 8): the bytes as a file holds them,
 * turned into the message a device would receive, with a note for each change.
 *
 * - **UTF-16.** A SyncML message saved by a Windows tool (a log export, Notepad "Unicode") is UTF-16 with a
 *   byte-order mark. The device side of OMA-DM carries UTF-8 (docs/formats.md §2.1), so inspect decodes the
 *   UTF-16 text, re-encodes it as UTF-8 and drops the `encoding="UTF-16"` of the XML declaration.
 * - **Fragments.** Microsoft's CSP pages and device logs show commands without their `<SyncML>` root (an
 *   `<Atomic>`, `<Add>` or `<Replace>` alone, or a `<SyncBody>`). inspect puts them in a message of its own —
 *   a SyncHdr, the commands in a SyncBody, `<Final/>` — on the fragment's first line, so line numbers in
 *   problems stay the file's own (columns on that first line move by the wrapper's length).
 * - **Graph JSON** (an object with `@odata.type`) is a profile definition, not a native payload: inspect
 *   refuses it and names `certfleet profile import`.
 */
import { CertfleetError } from '../pki/errors.ts';

/** The bytes a device receives, and what inspect did to get them from the file. */
export interface InspectInput {
  bytes: Buffer;
  /** One line per change (`decoded from UTF-16LE`, `wrapped a SyncML fragment`). */
  notes: string[];
}

const COMMANDS = ['Add', 'Replace', 'Delete', 'Get', 'Exec', 'Atomic', 'Sequence', 'Alert'];
const FRAGMENT_ROOT = new RegExp(`^<(?:(${COMMANDS.join('|')})|SyncBody)[\\s>/]`);
const XML_DECL = /^<\?xml[^>]*\?>/;

/** UTF-16 text (with a byte-order mark, or XML whose every other byte is 0) as UTF-8; undefined otherwise. */
function fromUtf16(bytes: Buffer): { text: string; encoding: string } | undefined {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'UTF-16LE' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'UTF-16BE' };
  }
  if (bytes.length >= 4 && bytes[0] === 0x3c && bytes[1] === 0 && bytes[2] !== 0 && bytes[3] === 0) {
    return { text: new TextDecoder('utf-16le').decode(bytes), encoding: 'UTF-16LE' };
  }
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x3c && bytes[2] === 0 && bytes[3] !== 0) {
    return { text: new TextDecoder('utf-16be').decode(bytes), encoding: 'UTF-16BE' };
  }
  return undefined;
}

/**
 * Turns a file's bytes into what a device receives: UTF-16 to UTF-8, a SyncML fragment into a message.
 * Throws USAGE for Graph JSON (use `certfleet profile import`).
 */
export function prepareInspectInput(file: Buffer): InspectInput {
  const notes: string[] = [];
  let bytes = file;
  const utf16 = fromUtf16(file);
  if (utf16 !== undefined) {
    const text = utf16.text.replace(/^\uFEFF/, '');
    const decl = XML_DECL.exec(text)?.[0];
    const fixed =
      decl === undefined ? text : text.replace(decl, decl.replace(/\s+encoding\s*=\s*(["'])[^"']*\1/, ''));
    bytes = Buffer.from(fixed, 'utf8');
    notes.push(
      `decoded from ${utf16.encoding} and read as UTF-8 (the encoding a device receives over OMA-DM)`,
    );
  }
  const head = bytes
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('{') && /"@odata\.type"\s*:/.test(bytes.toString('utf8'))) {
    throw new CertfleetError(
      'USAGE',
      'This is Microsoft Graph JSON (it has "@odata.type"): a profile definition, not a payload a device receives. ' +
        'Use `certfleet profile import FILE` to read it as the service does, then `certfleet profile compile` to see the native payload.',
    );
  }
  const afterDecl = head.replace(XML_DECL, '').trimStart();
  if (!/<SyncML[\s>]/.test(head) && FRAGMENT_ROOT.test(afterDecl)) {
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    const decl = XML_DECL.exec(text.trimStart())?.[0];
    const body = decl === undefined ? text : text.trimStart().slice(decl.length);
    const lead = /^\s*/.exec(body)?.[0] ?? '';
    const inner = body.slice(lead.length).replace(/\s+$/, '');
    const isBody = inner.startsWith('<SyncBody');
    const open =
      '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>' +
      '<SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>inspect-device</LocURI></Target>' +
      '<Source><LocURI>https://inspect.certfleet.invalid/omadm</LocURI></Source></SyncHdr>' +
      (isBody ? '' : '<SyncBody>');
    const close = isBody ? '</SyncML>' : '<Final/></SyncBody></SyncML>';
    bytes = Buffer.from(`${lead}${open}${inner}${close}\n`, 'utf8');
    notes.push(
      `wrapped a SyncML fragment (no <SyncML> root) in a message of its own${isBody ? '' : ' (SyncHdr, SyncBody, Final)'}; element paths start at SyncML/SyncBody`,
    );
  }
  return { bytes, notes };
}
