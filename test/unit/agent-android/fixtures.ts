/**
 * Test helpers for the Android adapter: devices per enrollment kind, a fixed clock, certificates from the key
 * pool (test/unit/pki/hierarchy.ts), empty-passphrase PKCS#12s and policy bytes built with the codec's encoder.
 */
import { generateDevice, type DeviceOverrides } from '../../../agent/device/generate.ts';
import type { Device } from '../../../agent/device/device.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import { createCertificate, type Certificate } from '../../../pki/certificate.ts';
import { buildPkcs12 } from '../../../pki/pkcs12.ts';
import { encodeAndroidPolicy } from '../../../profiles/android/policy-codec.ts';
import type {
  AndroidPolicy,
  CertificateCommand,
  KeyPairAccess,
  OncCertificate,
} from '../../../profiles/android/policy-model.ts';
import { ANDROID_ENROLLMENT_KINDS, type AndroidEnrollmentKind } from '../../../profiles/model/platform.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { T0, YEAR, makeHierarchy, type Hierarchy, type HierarchyOptions } from '../pki/hierarchy.ts';

export { T0, YEAR };
/** The five Android enrollment kinds. */
export const ALL_KINDS: readonly AndroidEnrollmentKind[] = ANDROID_ENROLLMENT_KINDS;
/**
 * The four Android Enterprise kinds, which take AMAPI policies. Device administrator is not AMAPI-managed: it
 * takes OMA-DM SyncML (agent/platforms/android/device-admin.ts; test/unit/agent-android/device-admin.test.ts).
 */
export const KINDS: readonly AndroidEnrollmentKind[] = ANDROID_ENROLLMENT_KINDS.filter(
  (k) => k !== 'device-admin',
);
export const DAY = 86_400_000;
/** The device clock of most tests: 30 days into the hierarchy's validity. */
export const NOW = new Date(T0.getTime() + 30 * DAY);

export const ROOT_GUID = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
export const ISSUING_GUID = '6A1D2C3B-0000-4000-8000-00000000CA02';
export const CLIENT_GUID = 'B1E3C4A2-7D6F-4E8A-9C0B-1A2B3C4D5E6F';
export const ALIAS = 'certfleet-pkcs-0001';
export const POLICY_NAME = 'enterprises/LC00000000/policies/certfleet-0001';

let index = 0;

/** A fresh Android device of `kind` (Pixel 6a on Android 14 unless overridden). */
export function androidDevice(kind: AndroidEnrollmentKind, overrides: DeviceOverrides = {}): Device {
  return generateDevice({
    seed: 'agent-android',
    index: index++,
    platform: 'android',
    kind,
    overrides: { modelId: 'google-pixel-6a', osVersion: '14', ...overrides },
  });
}

/** A device context over an in-memory store (or `db`), with the clock at `at`. */
export function contextFor(
  device: Device,
  at: Date = NOW,
  db: StoreDb = StoreDb.open(':memory:'),
): DeviceContext {
  return { device, db, clock: new FixedClock(at) };
}

/** root → issuing → leaf from pool keys. */
export function hierarchy(o: HierarchyOptions = {}): Hierarchy {
  return makeHierarchy(o);
}

/** A PKCS#12 of the hierarchy's leaf key and chain (leaf, issuing CA), with `password` ('' as ONC requires). */
export function pkcs12Of(h: Hierarchy, password = ''): Buffer {
  return buildPkcs12({
    privateKey: h.leafKey.privateKey,
    certificates: [h.leaf.der, h.issuing.der],
    password,
    profile: 'modern',
  });
}

/** A self-signed CA from pool key `keyIndex`, valid from `notBefore` to `notAfter`. */
export function selfSignedCa(
  keyIndex: number,
  notBefore: Date,
  notAfter: Date,
  cn = 'Certfleet Other Root',
): Certificate {
  const key = poolKey('rsa2048', keyIndex);
  return createCertificate({
    subject: `CN=${cn},O=Certfleet,C=US`,
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: '0A',
    notBefore,
    notAfter,
    extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign'] },
  });
}

/** What a test policy carries. */
export interface PolicySpec {
  name?: string;
  version?: string;
  cas?: { guid: string; der: Buffer }[];
  keyPairs?: { guid: string; alias: string; pkcs12: Buffer; access?: KeyPairAccess }[];
}

/** The policy object of `spec` (CAs first, then key pairs; one command per certificate). */
export function policyOf(spec: PolicySpec): AndroidPolicy {
  const certs: OncCertificate[] = [];
  const commands: CertificateCommand[] = [];
  for (const ca of spec.cas ?? []) {
    certs.push({ GUID: ca.guid, Type: 'Authority', X509: ca.der });
    commands.push({ type: 'INSTALL_CA_CERT', certificateGuid: ca.guid });
  }
  for (const kp of spec.keyPairs ?? []) {
    certs.push({ GUID: kp.guid, Type: 'Client', PKCS12: kp.pkcs12 });
    commands.push({
      type: 'INSTALL_KEY_PAIR',
      alias: kp.alias,
      pkcs12Guid: kp.guid,
      access: kp.access ?? { type: 'USER_APPROVAL' },
    });
  }
  return {
    name: spec.name ?? POLICY_NAME,
    version: spec.version ?? '1',
    openNetworkConfiguration: { Type: 'UnencryptedConfiguration', Certificates: certs },
    certificateCommands: commands,
  };
}

/** The policy bytes of `spec`, as the service would send them. */
export function policyBytes(spec: PolicySpec): Buffer {
  return encodeAndroidPolicy(policyOf(spec));
}

/** A comparable picture of everything the device's store holds (items and policy records). */
export function snapshot(ctx: DeviceContext): string {
  const items = ctx.db.items(ctx.device.id).map((i) => ({
    ...i,
    certificate: i.certificate.toString('hex'),
    privateKey: i.privateKey?.toString('hex'),
  }));
  return JSON.stringify({ items, profiles: ctx.db.profiles(ctx.device.id) });
}

/** Only the items (what the OS stores), without the policy records. */
export function itemsSnapshot(ctx: DeviceContext): string {
  return JSON.stringify(JSON.parse(snapshot(ctx)).items);
}
