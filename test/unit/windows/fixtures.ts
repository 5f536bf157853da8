/** Fixed, deterministic inputs for the Windows codec tests (opaque byte strings stand in for DER and PFX). */
import type { SyncHdr } from '../../../profiles/windows/syncml-model.ts';

export const SERVER_HEADER: SyncHdr = {
  verDtd: '1.2',
  verProto: 'DM/1.2',
  sessionId: '1',
  msgId: 1,
  target: '7F3A1C2E-0000-4000-8000-000000000001',
  source: 'https://mdm.certfleet.test/omadm',
};

export const ROOT_DER = Buffer.from('certfleet-test-root-ca-der');
export const ROOT_THUMB = '177419BBB70710039E2AB093A2327BAF59E3BC35';
export const CA_DER = Buffer.from('certfleet-test-issuing-ca-der');
export const CA_THUMB = '8A8B48C5E6B1D2F3A4B5C6D7E8F9A0B1C2D38885';
export const PFX = Buffer.from('certfleet-test-pfx-blob');
export const UNIQUE_ID = '5E9C6770-6D2E-4602-8ACA-B3418B1182BE';

/** Wraps body XML in a valid SyncML 1.2 envelope. */
export function envelope(body: string, ns = 'SYNCML:SYNCML1.2'): string {
  return `<SyncML xmlns="${ns}"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>dev</LocURI></Target><Source><LocURI>https://mdm</LocURI></Source></SyncHdr><SyncBody>${body}<Final/></SyncBody></SyncML>`;
}

/** An `<Add>` of one item. */
export function addXml(
  cmdId: string,
  locUri: string,
  format: string | undefined,
  data: string | undefined,
): string {
  const meta = format === undefined ? '' : `<Meta><Format xmlns="syncml:metinf">${format}</Format></Meta>`;
  const d = data === undefined ? '' : `<Data>${data}</Data>`;
  return `<Add><CmdID>${cmdId}</CmdID><Item><Target><LocURI>${locUri}</LocURI></Target>${meta}${d}</Item></Add>`;
}
