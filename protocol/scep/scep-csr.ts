/**
 * The PKCS#10 request a SCEP client sends (RFC 8894 §3.3.1): subject, public key, the requested extensions
 * (SANs) in extensionRequest, and the challengePassword attribute (PKCS#9, 1.2.840.113549.1.9.7, RFC 2985
 * §5.4.1) that authorises it. pki/csr.ts builds requests without attributes other than extensionRequest,
 * so this adds the challenge; parsing and the signature check stay pki/csr.ts's.
 *
 * @example
 * const csr = createScepCsr({ subject: 'CN=dev-1', keyPair, challenge: 'A1B2…' });
 * challengeOf(csr); // 'A1B2…'
 */
import { parseCsr, type Csr } from '../../pki/csr.ts';
import {
  contentOf,
  encodeBitString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  readChildren,
  readTlv,
  type Tlv,
} from '../../pki/der.ts';
import { encodeDn } from '../../pki/dn-der.ts';
import { toDn, type Dn } from '../../pki/dn.ts';
import {
  encodeExtensionList,
  encodeExtensions,
  type ExtensionsSpec,
  type SanEntry,
} from '../../pki/extensions.ts';
import { derBmpString } from '../../pki/pkcs12-asn1.ts';
import type { KeyPair } from '../../pki/keys.ts';
import { EXT } from '../../pki/oids.ts';
import { signTbs } from '../../pki/signature.ts';
import { CMS_OID } from './oids.ts';

/** Options of {@link createScepCsr}. */
export interface ScepCsrOptions {
  subject: Dn | string;
  keyPair: KeyPair;
  /** The challenge password; absent for a renewal that authenticates with the old certificate. */
  challenge?: string;
  san?: readonly SanEntry[];
  /**
   * Further extensions the requester asks for (a Windows device: the profile's KeyUsage, EKUMapping and
   * TemplateName, ClientCertificateInstall CSP); the CA's template decides what it issues.
   */
  extensions?: Pick<ExtensionsSpec, 'keyUsage' | 'extKeyUsage' | 'template'>;
  /**
   * Name-value pairs (szOID_ENROLLMENT_NAME_VALUE_PAIR 1.3.6.1.4.1.311.13.2.1, each a SEQUENCE of two
   * BMPStrings) — a Windows device sends the expected validity this way (`ValidityPeriod`,
   * `ValidityPeriodUnits`; CCI: "the device only sends … the expected certificate validation period to the
   * SCEP server … it depends on the server how to use this valid period").
   */
  nameValuePairs?: readonly (readonly [string, string])[];
}

/** The OID of an enrolment name-value pair attribute (Microsoft, szOID_ENROLLMENT_NAME_VALUE_PAIR). */
export const ENROLLMENT_NAME_VALUE_PAIR = '1.3.6.1.4.1.311.13.2.1';

/** Builds and signs the request. */
export function createScepCsr(o: ScepCsrOptions): Csr {
  const attributes: Uint8Array[] = [];
  if (o.challenge !== undefined) {
    attributes.push(
      encodeSequence([
        encodeOid(CMS_OID.challengePassword),
        encodeTlv(0x31, encodeTlv(0x0c, Buffer.from(o.challenge, 'utf8'))),
      ]),
    );
  }
  for (const [name, value] of o.nameValuePairs ?? []) {
    attributes.push(
      encodeSequence([
        encodeOid(ENROLLMENT_NAME_VALUE_PAIR),
        encodeTlv(0x31, encodeSequence([derBmpString(name), derBmpString(value)])),
      ]),
    );
  }
  const exts = encodeExtensions({
    ...o.extensions,
    ...(o.san && o.san.length > 0 && { subjectAltName: [...o.san] }),
  });
  if (exts.length > 0) {
    attributes.push(
      encodeSequence([encodeOid(EXT.extensionRequest), encodeTlv(0x31, encodeExtensionList(exts))]),
    );
  }
  const info = encodeSequence([
    Uint8Array.of(0x02, 0x01, 0x00),
    encodeDn(toDn(o.subject)),
    new Uint8Array(o.keyPair.publicKey.export({ type: 'spki', format: 'der' })),
    encodeTlv(0xa0, Buffer.concat(attributes)),
  ]);
  const { algorithm, signature } = signTbs(info, o.keyPair.privateKey, 'sha256');
  return parseCsr(encodeSequence([info, algorithm, encodeBitString(signature)]));
}

/** String types a DirectoryString may use (RFC 5280 §4.1.2.4) and how to read them. */
const STRING_TAGS: Readonly<Record<number, BufferEncoding>> = {
  0x0c: 'utf8', // UTF8String
  0x13: 'latin1', // PrintableString
  0x14: 'latin1', // TeletexString
  0x16: 'latin1', // IA5String
  0x1e: 'utf16le', // BMPString (big-endian on the wire; swapped below)
};

/** The challengePassword of a request; undefined when it has none or it is not a string. */
export function challengeOf(csr: Csr): string | undefined {
  const value = csr.attributes.find((a) => a.oid === CMS_OID.challengePassword)?.values[0];
  if (value === undefined) return undefined;
  try {
    const tlv = readTlv(value, 0);
    const enc = STRING_TAGS[tlv.tag];
    if (enc === undefined) return undefined;
    const bytes = Buffer.from(contentOf(value, tlv));
    return enc === 'utf16le' ? bytes.swap16().toString('utf16le') : bytes.toString(enc);
  } catch {
    return undefined;
  }
}

/** The enrolment name-value pairs of a request (see {@link ScepCsrOptions.nameValuePairs}); unreadable ones are skipped. */
export function nameValuePairsOf(csr: Csr): [string, string][] {
  const out: [string, string][] = [];
  const text = (der: Buffer, at: Tlv): string | undefined => {
    if (at.tag !== 0x1e) return undefined;
    return Buffer.from(contentOf(der, at)).swap16().toString('utf16le');
  };
  for (const a of csr.attributes) {
    if (a.oid !== ENROLLMENT_NAME_VALUE_PAIR) continue;
    for (const v of a.values) {
      try {
        const der = Buffer.from(v);
        const [n, val] = readChildren(der, readTlv(der, 0));
        const name = n === undefined ? undefined : text(der, n);
        const value = val === undefined ? undefined : text(der, val);
        if (name !== undefined && value !== undefined) out.push([name, value]);
      } catch {
        // not a SEQUENCE of two BMPStrings: not a pair this reader knows
      }
    }
  }
  return out;
}
