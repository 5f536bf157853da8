/**
 * Shared helpers for the Apple adapter tests: fresh devices and stores, certificates from the pool-key
 * hierarchy, payloads built with the Apple codec's encoder, and store snapshots for "nothing changed".
 */
import type { KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import { generateDevice, type DeviceOverrides } from '../../../agent/device/index.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeliveryResult, DeviceContext } from '../../../agent/platform-adapter.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import { iosAdapter, macosAdapter } from '../../../agent/platforms/apple/index.ts';
import { createCertificate, type Certificate } from '../../../pki/certificate.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { buildPkcs12 } from '../../../pki/pkcs12.ts';
import {
  decodeCommandResponse,
  encodeMobileconfig,
  type AppleCertificateProfile,
  type AppleCommandResponse,
  type ApplePlatform,
  type CertificatePayload,
  type Pkcs12CertificatePayload,
} from '../../../profiles/apple/index.ts';
import { makeHierarchy, type Hierarchy, type HierarchyOptions } from '../pki/hierarchy.ts';

/** The device clock of every test unless a test says otherwise (hierarchy T0 + 5 months). */
export const NOW = '2025-06-01T00:00:00Z';

/** The adapter of each Apple platform. */
export const ADAPTERS = { macos: macosAdapter, ios: iosAdapter } as const;

/** The keychain a System-scope (or iOS) profile installs into. */
export const DEFAULT_KEYCHAIN = { macos: 'macos/system', ios: 'ios/keychain' } as const;

/** A fresh device of `platform` with an in-memory store. */
export function newContext(
  platform: ApplePlatform,
  kind: 'device' | 'user' = 'device',
  overrides: DeviceOverrides = {},
  at: string = NOW,
  db: StoreDb = StoreDb.open(':memory:'),
): DeviceContext {
  const device = generateDevice({ seed: 'agent-apple', index: 0, platform, kind, overrides });
  return { device, db, clock: new FixedClock(at) };
}

/** Everything the store holds for the device (items and profiles), comparable with toEqual. */
export function snapshot(ctx: DeviceContext): unknown {
  return { items: ctx.db.items(ctx.device.id), profiles: ctx.db.profiles(ctx.device.id) };
}

let uuidCounter = 0;
/** A fresh, valid UUID for a payload. */
export function uuid(): string {
  uuidCounter += 1;
  return `00000000-0000-4000-8000-${uuidCounter.toString(16).padStart(12, '0')}`;
}

/** A root/pkcs1 payload (DER) or pem payload (PEM text) carrying `cert`. */
export function certPayload(
  cert: Certificate | Buffer,
  identifier: string,
  type:
    | 'com.apple.security.root'
    | 'com.apple.security.pkcs1'
    | 'com.apple.security.pem' = 'com.apple.security.root',
): CertificatePayload {
  const der = Buffer.isBuffer(cert) ? cert : Buffer.from(cert.der);
  return {
    PayloadType: type,
    PayloadIdentifier: identifier,
    PayloadUUID: uuid(),
    PayloadVersion: 1,
    PayloadDisplayName: identifier,
    PayloadContent:
      type === 'com.apple.security.pem' && !Buffer.isBuffer(cert) ? Buffer.from(cert.pem, 'ascii') : der,
  };
}

/** A leaf with its key and (optionally) the CA that issued it. */
export interface IdentitySource {
  leaf: Certificate;
  leafKey: { privateKey: KeyObject };
  issuing?: Certificate;
}

/** The PKCS#12 of a leaf (with its issuing CA when there is one), protected by `password`. */
export function pfxOf(h: IdentitySource, password: string): Buffer {
  return buildPkcs12({
    privateKey: h.leafKey.privateKey,
    certificates: [Buffer.from(h.leaf.der), ...(h.issuing ? [Buffer.from(h.issuing.der)] : [])],
    password,
    profile: 'legacy',
    iterations: 1,
  });
}

/** A pkcs12 payload. `password` undefined leaves the Password key out. */
export function pkcs12Payload(
  pfx: Buffer,
  identifier: string,
  password: string | undefined,
  extra: Partial<Pkcs12CertificatePayload> = {},
): Pkcs12CertificatePayload {
  return {
    PayloadType: 'com.apple.security.pkcs12',
    PayloadIdentifier: identifier,
    PayloadUUID: uuid(),
    PayloadVersion: 1,
    PayloadCertificateFileName: 'user.pfx',
    PayloadContent: pfx,
    ...(password === undefined ? {} : { Password: password }),
    ...extra,
  };
}

/** Encodes a Configuration profile holding `payloads` for `platform`. */
export function profileBytes(
  platform: ApplePlatform,
  identifier: string,
  payloads: CertificatePayload[],
  extra: Partial<AppleCertificateProfile> = {},
): Buffer {
  return encodeMobileconfig(
    {
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: identifier,
      PayloadUUID: uuid(),
      PayloadDisplayName: `Profile ${identifier}`,
      PayloadContent: payloads,
      ...extra,
    },
    { platform },
  );
}

/** The hierarchy with default options (root → issuing → leaf, leaf valid 2025-01-01 … 2026-01-01). */
export function hierarchy(o: HierarchyOptions = {}): Hierarchy {
  return makeHierarchy(o);
}

/**
 * A second, unrelated PKI (makeHierarchy always builds the same root): root (pool key 5) → leaf (key 6),
 * no issuing CA.
 */
export function otherPki(): { root: Certificate; leaf: Certificate; leafKey: ReturnType<typeof poolKey> } {
  const rootKey = poolKey('rsa2048', 5);
  const leafKey = poolKey('rsa2048', 6);
  const root = createCertificate({
    subject: 'CN=Other Root CA,O=Fabrikam,C=US',
    publicKey: rootKey.publicKey,
    issuer: 'self',
    signingKey: rootKey.privateKey,
    serialNumber: '05',
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign'] },
  });
  const leaf = createCertificate({
    subject: 'CN=Grace Hopper,O=Fabrikam,C=US',
    publicKey: leafKey.publicKey,
    issuer: root,
    signingKey: rootKey.privateKey,
    serialNumber: '0600',
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2026-01-01T00:00:00Z'),
    extensions: { keyUsage: ['digitalSignature', 'keyEncipherment'], extKeyUsage: ['clientAuth'] },
  });
  return { root, leaf, leafKey };
}

/** Decodes a delivery's reply, failing the test when it is not a valid command response. */
export function replyOf(r: DeliveryResult | Buffer): AppleCommandResponse {
  const d = decodeCommandResponse(Buffer.isBuffer(r) ? r : r.reply);
  expect(d.ok).toBe(true);
  if (!d.ok) throw new Error('reply does not decode');
  return d.response;
}

/** [code, status] of each outcome. */
export function codes(r: DeliveryResult): [string, string][] {
  return r.outcomes.map((o) => [o.code, o.status]);
}

/** [ErrorDomain, ErrorCode] of each chain item of the reply. */
export function chainOf(r: DeliveryResult): [string, number][] {
  return (replyOf(r).ErrorChain ?? []).map((c) => [c.ErrorDomain, c.ErrorCode]);
}
