/**
 * Project-made stand-ins for the conformance material (the third-party payloads beside the checkout, see
 * test/fixtures/conformance.ts): each sample has the same fault (or the same validity) as one real-world
 * sample, but is written here, from certificates made in the test with the project's own PKI code and the
 * shared key pool. So what the conformance suite checks is also checked on a clone that stands alone.
 *
 * The `.mobileconfig` text is written by hand below (tab-indented XML as Apple's tools write it, base64 in
 * lines of 52), not by the project's plist writer, so the codec reads a writer other than its own.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createCertificate, type Certificate } from '../../../pki/certificate.ts';
import { poolKey, type PoolKeyPair } from '../../fixtures/key-pool.ts';

/** One `<key>` of a `<dict>` and its value element, written as given (so a test can put a wrong element). */
export type Entry = readonly [key: string, element: string];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A `<string>` element. */
export const str = (v: string): string => `<string>${esc(v)}</string>`;
/** An `<integer>` element. */
export const int = (n: number): string => `<integer>${String(n)}</integer>`;
/** A `<true/>` or `<false/>` element. */
export const bool = (b: boolean): string => (b ? '<true/>' : '<false/>');
/** A `<data>` element: `b64` (default: canonical base64 of `bytes`) in lines of 52 characters. */
export const data = (bytes: Buffer, b64 = bytes.toString('base64')): string =>
  `<data>\n${b64.replace(/(.{52})/g, '$1\n').replace(/\n$/, '')}\n</data>`;
/** A `<dict>` of `entries`, in the order given. */
export const dict = (entries: readonly Entry[]): string =>
  `<dict>\n${entries.map(([k, v]) => `<key>${esc(k)}</key>\n${v}`).join('\n')}\n</dict>`;
/** An `<array>` of elements. */
export const array = (items: readonly string[]): string => `<array>\n${items.join('\n')}\n</array>`;

/** Indents nested elements with tabs, one per level, as Apple's tools do. */
function indent(xml: string): string {
  let depth = 0;
  return xml
    .split('\n')
    .map((line) => {
      if (/^<\/(dict|array|data)>/.test(line)) depth -= 1;
      const out = `${'\t'.repeat(Math.max(depth, 0))}${line}`;
      if (/^<(dict|array|data)>$/.test(line)) depth += 1;
      return out;
    })
    .join('\n');
}

/** A whole plist document whose root is `root` (a `<dict>`). */
export function plist(root: string): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
      `<plist version="1.0">\n${indent(root)}\n</plist>\n`,
    'utf8',
  );
}

/** A UUID made from a name (stable across runs, unique per name). */
export function uuidOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The top-level PayloadIdentifier of every sample profile (the held item's `ref`). */
export const PROFILE_ID = 'com.example.certfleet.conformance-own';

/**
 * A Configuration profile holding `payloads` (each a list of entries), keys in Apple's sorted order.
 * `top` overrides or adds top-level entries (e.g. a wrong PayloadType or a `<string>` PayloadVersion).
 */
export function profile(
  name: string,
  payloads: readonly (readonly Entry[])[],
  top: readonly Entry[] = [],
): Buffer {
  const base: Entry[] = [
    ['PayloadContent', array(payloads.map((p) => dict(p)))],
    ['PayloadDisplayName', str(`Certfleet own sample: ${name}`)],
    ['PayloadIdentifier', str(PROFILE_ID)],
    ['PayloadType', str('Configuration')],
    ['PayloadUUID', str(uuidOf(`profile ${name}`))],
    ['PayloadVersion', int(1)],
  ];
  const overridden = base.map(([k, v]): Entry => [k, top.find(([tk]) => tk === k)?.[1] ?? v]);
  const added = top.filter(([tk]) => !base.some(([k]) => k === tk));
  return plist(dict([...overridden, ...added]));
}

/** The common keys of a payload of `type` (PayloadContent first, then the Payload* keys, sorted). */
export function payload(type: string, name: string, content: string, extra: readonly Entry[] = []): Entry[] {
  return [
    ['PayloadContent', content],
    ...extra,
    ['PayloadDescription', str(`Adds ${name}`)],
    ['PayloadDisplayName', str(name)],
    ['PayloadIdentifier', str(`${PROFILE_ID}.${type.split('.').pop() ?? ''}`)],
    ['PayloadType', str(type)],
    ['PayloadUUID', str(uuidOf(`payload ${name}`))],
    ['PayloadVersion', int(1)],
  ];
}

/** The project-made root of the samples: subject, validity and key. */
export const OWN_ROOT = {
  subject: 'CN=Certfleet Conformance Own Root CA,O=Certfleet Test,C=US',
  notBefore: new Date('2024-01-01T00:00:00Z'),
  notAfter: new Date('2044-06-30T23:59:59Z'),
} as const;

/** The root CA (pool key rsa2048-7), self-signed with the project's createCertificate. */
export function ownRoot(key: PoolKeyPair = poolKey('rsa2048', 7)): Certificate {
  return createCertificate({
    subject: OWN_ROOT.subject,
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: '2A',
    notBefore: OWN_ROOT.notBefore,
    notAfter: OWN_ROOT.notAfter,
    extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign'] },
  });
}

/** PEM text of `der` (64-character lines), as a `.pem` file holds it. */
export function pemOf(der: Uint8Array): Buffer {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return Buffer.from(
    `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`,
    'ascii',
  );
}

/** The length a DER SEQUENCE declares in its header (tag, length octets and content). */
export function declaredDerLength(der: Uint8Array): number {
  const first = der[1] as number;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (der[2 + i] as number);
  return 2 + n + len;
}

/** The password the samples' PKCS#12 is protected with, and the wrong one the faulty sample states. */
export const PFX_PASSWORD = 'Certfleet-Own-Pfx-1';
export const WRONG_PASSWORD = 'Wrong-Own-Pfx-2';

/** Every project-made Apple sample, with the facts the tests check, computed here from the inputs. */
export interface OwnAppleSamples {
  root: Certificate;
  /** A valid Configuration profile with one com.apple.security.root payload (the root's DER). */
  rootProfile: Buffer;
  /** A pkcs1 payload whose DER lost its last 40 bytes; its base64 has surplus "==" padding. */
  truncated: { profile: Buffer; declared: number; has: number };
  /** A pem payload whose PEM text holds the byte 0x8A at `offset`. */
  pemNonAscii: { profile: Buffer; offset: number };
  /** Top-level PayloadType com.apple.security.pkcs12 (line `line`), and a Password that does not open the PFX. */
  pkcs12BadTypeAndPassword: { profile: Buffer; line: number };
  /** A valid Configuration profile whose pkcs12 payload states `password`. */
  pkcs12Profile(password: string | undefined): Buffer;
  /** A SCEP payload (dict PayloadContent) with Keysize 0. */
  scep: Buffer;
  /** Template quirks (PayloadContent a <string>, empty PayloadUUID, top-level PayloadVersion a <string>, an empty Password key) on each certificate payload type. */
  templates: Record<'root' | 'pkcs1' | 'pem' | 'pkcs12', Buffer>;
}

/** Builds the samples from the project-made root and `pfx` (a PKCS#12 protected by {@link PFX_PASSWORD}). */
export function ownAppleSamples(pfx: Buffer, root: Certificate = ownRoot()): OwnAppleSamples {
  const der = Buffer.from(root.der);
  const cut = der.subarray(0, der.length - 40);
  const pem = pemOf(der);
  const offset = 100;
  const damaged = Buffer.concat([pem.subarray(0, offset), Buffer.from([0x8a]), pem.subarray(offset)]);
  const rootPayload = payload('com.apple.security.root', 'Certfleet Own Root', data(der), [
    ['PayloadCertificateFileName', str('certfleet-own-root.cer')],
  ]);
  const pkcs12Payload = (password: string | undefined): Entry[] =>
    payload('com.apple.security.pkcs12', 'Certfleet Own Identity', data(pfx), [
      ['PayloadCertificateFileName', str('certfleet-own.p12')],
      ...(password === undefined ? [] : [['Password', str(password)] as const]),
    ]);
  const badType = profile(
    'pkcs12-bad-type',
    [pkcs12Payload(WRONG_PASSWORD)],
    [['PayloadType', str('com.apple.security.pkcs12')]],
  );
  // The line of the top-level PayloadType's value: the only line with that string at one tab of indent.
  const line =
    badType
      .toString('utf8')
      .split('\n')
      .findIndex((l) => l === '\t<string>com.apple.security.pkcs12</string>') + 1;
  const template = (type: string, extra: readonly Entry[]): Buffer =>
    profile(
      `template ${type}`,
      [
        payload(type, `Template ${type}`, str('PASTE BASE64 HERE'), extra).map(([k, v]): Entry => [
          k,
          k === 'PayloadUUID' ? str('') : v,
        ]),
      ],
      [['PayloadVersion', str('1')]],
    );
  return {
    root,
    rootProfile: profile('root', [rootPayload]),
    truncated: {
      profile: profile('pkcs1-truncated', [
        payload(
          'com.apple.security.pkcs1',
          'Certfleet Own Truncated',
          data(cut, `${cut.toString('base64')}==`),
        ),
      ]),
      declared: declaredDerLength(der),
      has: cut.length,
    },
    pemNonAscii: {
      profile: profile('pem-non-ascii', [
        payload('com.apple.security.pem', 'Certfleet Own PEM', data(damaged)),
      ]),
      offset,
    },
    pkcs12BadTypeAndPassword: { profile: badType, line },
    pkcs12Profile: (password) => profile('pkcs12', [pkcs12Payload(password)]),
    scep: profile('scep', [
      payload(
        'com.apple.security.scep',
        'Certfleet Own SCEP',
        dict([
          ['Key Usage', int(5)],
          ['Keysize', int(0)],
          ['Name', str('Certfleet Own CA')],
          [
            'Subject',
            array([
              array([array([str('O'), str('Certfleet Test')])]),
              array([array([str('CN'), str('own-device')])]),
            ]),
          ],
          [
            'SubjectAltName',
            dict([
              ['dNSName', str('own-device.certfleet.test')],
              ['ntPrincipalName', str('own-device@certfleet.test')],
            ]),
          ],
          ['URL', str('https://scep.certfleet.test/scep')],
        ]),
      ),
    ]),
    templates: {
      root: template('com.apple.security.root', [['Password', str('')]]),
      pkcs1: template('com.apple.security.pkcs1', [['Password', str('')]]),
      pem: template('com.apple.security.pem', [['Password', str('')]]),
      pkcs12: template('com.apple.security.pkcs12', [['Password', str('')]]),
    },
  };
}

/** The folder of the hand-written Graph exports (one per PKCS `@odata.type`). */
export const OWN_GRAPH_DIR = fileURLToPath(new URL('../../fixtures/conformance-own/graph/', import.meta.url));

/** The hand-written Graph export of each PKCS family, by file name. */
export const OWN_PKCS_EXPORTS = {
  windows: 'windows-pkcs.json',
  macos: 'macos-pkcs.json',
  ios: 'ios-pkcs.json',
  'android-work-profile': 'android-work-profile-pkcs.json',
  'android-device-owner': 'android-device-owner-pkcs.json',
  'android-device-admin': 'android-device-admin-pkcs.json',
} as const;

/**
 * A Graph export of the trusted-root type `type` (name without `#microsoft.graph.`) carrying `der`, shaped as
 * Graph returns one; `extra` adds the type's own properties (destinationStore, deploymentChannel).
 */
export function trustedGraphExport(
  type: string,
  der: Uint8Array,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    '@odata.context':
      'https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceConfigurations/$entity',
    '@odata.type': `#microsoft.graph.${type}`,
    id: uuidOf(`graph ${type}`).toLowerCase(),
    lastModifiedDateTime: '2025-03-04T09:15:00.0000000Z',
    createdDateTime: '2025-03-04T09:15:00.0000000Z',
    roleScopeTagIds: ['0'],
    supportsScopeTags: true,
    description: null,
    displayName: `Certfleet own root (${type})`,
    version: 1,
    trustedRootCertificate: Buffer.from(der).toString('base64'),
    certFileName: 'certfleet-own-root.cer',
    ...extra,
  };
}
