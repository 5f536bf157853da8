/**
 * Fixed inputs for the compile tests: a deterministic root CA and client identity (fixed keys, fixed serials
 * and dates, a seeded PKCS#12 random), one device per profile family, and one trusted + one PKCS profile
 * per family.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificate, type Certificate } from '../../../pki/index.ts';
import { buildPkcs12 } from '../../../pki/pkcs12.ts';
import type { RandomBytes } from '../../../pki/pkcs12.ts';
import type { IssuedIdentity } from '../../../profiles/compile/index.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import type {
  CertificateProfile,
  PkcsCertificateProfile,
  TrustedCertificateProfile,
} from '../../../profiles/model/profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';

/** A deterministic byte source: SHA-256 of `seed/counter`, concatenated. */
export function seededRandom(seed: string): RandomBytes {
  let counter = 0;
  return (n: number) => {
    const chunks: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const c = createHash('sha256').update(`${seed}/${counter++}`).digest();
      chunks.push(c);
      have += c.length;
    }
    return Buffer.concat(chunks).subarray(0, n);
  };
}

/**
 * Fixed RSA-2048 test keys kept beside the golden files (throwaway keys made once with `openssl genpkey`; not
 * secrets). The shared key pool is regenerated every run, so golden bytes that embed key material (the
 * PKCS#12 payloads) need keys that never change.
 */
export function fixedKey(name: 'root' | 'leaf'): { privateKey: KeyObject; publicKey: KeyObject } {
  const pem = readFileSync(join(import.meta.dirname, '..', '..', 'golden', 'compile', 'keys', `${name}.pem`));
  const privateKey = createPrivateKey(pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

const NOT_BEFORE = new Date('2026-01-01T00:00:00Z');

/** A self-signed root CA (fixed key), identical bytes every run. */
export function fixedRoot(): Certificate {
  const k = fixedKey('root');
  return createCertificate({
    subject: 'CN=Certfleet Compile Test Root,O=Certfleet,C=US',
    publicKey: k.publicKey,
    issuer: 'self',
    signingKey: k.privateKey,
    serialNumber: '1A2B3C4D',
    notBefore: NOT_BEFORE,
    notAfter: new Date('2036-01-01T00:00:00Z'),
    extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign'] },
  });
}

/** The PFX password of {@link fixedIdentity}. */
export const PFX_PASSWORD = 'Compile-Test-Pw1';

/** A client identity (fixed key) issued by {@link fixedRoot}, packed deterministically. */
export function fixedIdentity(): IssuedIdentity & { leaf: Certificate; root: Certificate } {
  const root = fixedRoot();
  const k = fixedKey('leaf');
  const leaf = createCertificate({
    subject: 'CN=Ada Lovelace,O=Contoso',
    publicKey: k.publicKey,
    issuer: root,
    signingKey: fixedKey('root').privateKey,
    serialNumber: '5E5E0001',
    notBefore: NOT_BEFORE,
    notAfter: new Date('2027-01-01T00:00:00Z'),
    extensions: {
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: ['1.3.6.1.5.5.7.3.2'],
      subjectAltName: [{ type: 'upn', value: 'ada@contoso.com' }],
    },
  });
  const pfx = buildPkcs12({
    privateKey: k.privateKey,
    certificates: [leaf.der, root.der],
    password: PFX_PASSWORD,
    profile: 'modern',
    random: seededRandom('compile-golden-pfx'),
  });
  return { pfx, password: PFX_PASSWORD, certificateDer: leaf.der, leaf, root };
}

const USER = {
  userName: 'ada.lovelace',
  userPrincipalName: 'ada@contoso.com',
  emailAddress: 'Ada.Lovelace@contoso.com',
  entraDeviceId: '0f4a7c1e-5b8d-4e2a-9c3f-1d2e3f4a5b6c',
  intuneDeviceId: '7d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a',
  deviceName: 'ADA-DEVICE',
  wifiMacAddress: 'AC:BC:32:18:BD:4D',
  department: 'Research',
} as const;

/** One device per profile family, as the resolver sees it. */
export const FACTS: Record<ProfileFamily, DeviceFacts> = {
  windows: {
    platform: 'windows',
    enrollmentKind: 'hybrid-joined',
    osVersion: '10.0.22631.4037',
    hasUser: true,
    attributes: {
      ...USER,
      serialNumber: 'PF3XK9Z1',
      fullyQualifiedDomainName: 'ADA-DEVICE.corp.contoso.com',
      userSid: 'S-1-5-21-1004336348-1177238915-682003330-1105',
      deviceSid: 'S-1-5-21-1004336348-1177238915-682003330-2210',
    },
    absent: { imei: 'not-reported', meid: 'not-reported', udid: 'not-on-platform' },
  },
  macos: {
    platform: 'macos',
    enrollmentKind: 'device',
    osVersion: '15.1',
    hasUser: true,
    attributes: { ...USER, serialNumber: 'C02XK1ZQJGH5', udid: '00008103-001A2B3C4D5E6F70' },
    absent: { imei: 'not-reported', meid: 'not-reported', fullyQualifiedDomainName: 'not-on-platform' },
  },
  ios: {
    platform: 'ios',
    enrollmentKind: 'device',
    osVersion: '18.1',
    hasUser: true,
    attributes: {
      ...USER,
      serialNumber: 'F2LXK1ZQJGH5',
      imei: '356938035643809',
      udid: '00008101-0043528BC0694C49',
    },
    absent: { meid: 'not-reported', fullyQualifiedDomainName: 'not-on-platform' },
  },
  'android-work-profile': {
    platform: 'android',
    enrollmentKind: 'work-profile-personal',
    osVersion: '11',
    hasUser: true,
    attributes: { ...USER, serialNumber: 'R58N30ABCDE', imei: '353918058381994' },
    absent: { meid: 'not-reported', fullyQualifiedDomainName: 'not-on-platform', udid: 'not-on-platform' },
  },
  'android-device-owner': {
    platform: 'android',
    enrollmentKind: 'fully-managed',
    osVersion: '14',
    hasUser: true,
    attributes: { ...USER, serialNumber: 'R58N30FGHIJ', imei: '353918058381986' },
    absent: { meid: 'not-reported', fullyQualifiedDomainName: 'not-on-platform', udid: 'not-on-platform' },
  },
  'android-device-admin': {
    platform: 'android',
    enrollmentKind: 'device-admin',
    osVersion: '10',
    hasUser: true,
    attributes: { ...USER, serialNumber: 'R58N30KLMNO', imei: '353918058381978' },
    absent: { meid: 'not-reported', fullyQualifiedDomainName: 'not-on-platform', udid: 'not-on-platform' },
  },
};

/** Validates plain profile data, failing the test with every problem when it is invalid. */
export function profileOf<P extends CertificateProfile>(input: Record<string, unknown>): P {
  const r = validateProfile(input);
  if (!r.ok) throw new Error(`fixture profile invalid: ${JSON.stringify(r.problems)}`);
  return r.value as P;
}

/** A trusted-certificate profile of `family` carrying {@link fixedRoot}, with `extra` settings. */
export function trustedProfile(
  family: ProfileFamily,
  extra: Record<string, unknown> = {},
): TrustedCertificateProfile {
  return profileOf({
    kind: 'trusted-certificate',
    family,
    displayName: `Contoso Root (${family})`,
    certFileName: 'contoso-root.cer',
    certificate: new Uint8Array(fixedRoot().der),
    ...extra,
  });
}

const PKCS_EXTRA: Record<ProfileFamily, Record<string, unknown>> = {
  windows: { keyStorageProvider: 'useTpmKspOtherwiseUseSoftwareKsp' },
  macos: { allowAllAppsAccess: true, deploymentChannel: 'userChannel' },
  ios: {},
  'android-work-profile': {},
  'android-device-owner': {
    certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.vpn', 'com.contoso.mail'] },
  },
  'android-device-admin': {},
};

/** A user PKCS profile of `family` (CN={{UserName}}, UPN + e-mail SANs), with `extra` settings. */
export function pkcsProfile(
  family: ProfileFamily,
  extra: Record<string, unknown> = {},
): PkcsCertificateProfile {
  const custom =
    family === 'android-device-admin'
      ? { subjectNameFormat: 'commonName' }
      : { subjectNameFormat: 'custom', subjectNameFormatString: 'CN={{UserName}},O=Contoso' };
  return profileOf({
    kind: 'pkcs-certificate',
    family,
    displayName: `Contoso Wi-Fi (${family})`,
    certificationAuthority: 'ca01.certfleet.test\\Certfleet Issuing CA',
    certificationAuthorityName: 'Certfleet Issuing CA',
    certificateTemplateName: 'CertfleetUser',
    certificateType: 'user',
    subjectAlternativeNameType: ['userPrincipalName', 'emailAddress'],
    ...custom,
    ...PKCS_EXTRA[family],
    ...extra,
  });
}
