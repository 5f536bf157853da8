/**
 * Names for a profile the strict decoder refused, so that every payload can still be reported by its
 * PayloadIdentifier (issue 4: every payload reported). Read leniently from the plist tree when the bytes
 * are a well-formed plist; nothing here decides validity.
 */
import { readPlistXml } from '../../../profiles/apple/plist-xml-reader.ts';
import type { PlistValue } from '../../../profiles/apple/plist-value.ts';
import { CERTIFICATE_PAYLOAD_TYPES, type CertificatePayload } from '../../../profiles/apple/index.ts';

/** Identifiers and names found in a refused profile. */
export interface ProfileLabels {
  identifier?: string;
  name: string;
  /**
   * One per PayloadContent entry, in order (`PayloadContent[i]` when it has no identifier). `lenient` is the
   * entry read as a certificate payload when it has a certificate PayloadType and `<data>` content, so that
   * its certificate can still be diagnosed.
   */
  payloads: { identifier: string; name: string; lenient?: CertificatePayload }[];
}

function str(v: PlistValue | undefined): string | undefined {
  return v?.kind === 'string' && v.value !== '' ? v.value : undefined;
}

/** Labels for `raw` (a profile whose decode failed). */
export function profileLabels(raw: Buffer): ProfileLabels {
  const root = readPlistXml(raw).value;
  if (root?.kind !== 'dict') return { name: '(unreadable profile)', payloads: [] };
  const identifier = str(root.entries.get('PayloadIdentifier'));
  const name = str(root.entries.get('PayloadDisplayName')) ?? identifier ?? '(profile without identifier)';
  const content = root.entries.get('PayloadContent');
  const payloads =
    content?.kind === 'array'
      ? content.items.map((item, i) => {
          const id = item.kind === 'dict' ? str(item.entries.get('PayloadIdentifier')) : undefined;
          const display = item.kind === 'dict' ? str(item.entries.get('PayloadDisplayName')) : undefined;
          const label = id ?? `PayloadContent[${i}]`;
          const lenient = item.kind === 'dict' ? lenientPayload(item.entries, label) : undefined;
          return { identifier: label, name: display ?? label, ...(lenient ? { lenient } : {}) };
        })
      : [];
  return identifier === undefined ? { name, payloads } : { identifier, name, payloads };
}

function lenientPayload(
  entries: ReadonlyMap<string, PlistValue>,
  identifier: string,
): CertificatePayload | undefined {
  const type = str(entries.get('PayloadType'));
  const content = entries.get('PayloadContent');
  if (
    !(CERTIFICATE_PAYLOAD_TYPES as readonly (string | undefined)[]).includes(type) ||
    content?.kind !== 'data'
  ) {
    return undefined;
  }
  const password = entries.get('Password');
  const display = str(entries.get('PayloadDisplayName'));
  const fileName = str(entries.get('PayloadCertificateFileName'));
  return {
    PayloadType: type as CertificatePayload['PayloadType'],
    PayloadIdentifier: identifier,
    PayloadUUID: str(entries.get('PayloadUUID')) ?? '',
    PayloadVersion: 1,
    PayloadContent: content.value,
    ...(display === undefined ? {} : { PayloadDisplayName: display }),
    ...(fileName === undefined ? {} : { PayloadCertificateFileName: fileName }),
    ...(password?.kind === 'string' ? { Password: password.value } : {}),
  } as CertificatePayload;
}
