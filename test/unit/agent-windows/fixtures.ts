/** Shared inputs for the Windows device tests: devices, a CA hierarchy, PFX blobs and SyncML messages. */
import { generateDevice } from '../../../agent/device/generate.ts';
import type { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext, ManagementIdentity } from '../../../agent/platform-adapter.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import { createCertificate, type Certificate } from '../../../pki/certificate.ts';
import { buildPkcs12 } from '../../../pki/pkcs12.ts';
import type { WindowsEnrollmentKind } from '../../../profiles/model/platform.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { readReply, type ReadReply } from '../../../profiles/windows/device-reply.ts';
import {
  buildPfxInstallAtomic,
  type PfxInstall,
  type PfxLeaf,
} from '../../../profiles/windows/pfx-cert-install.ts';
import { buildTrustedCertAdd } from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import { encodeSyncml } from '../../../profiles/windows/syncml-encode.ts';
import type {
  SyncHdr,
  SyncmlCommand,
  SyncmlContainer,
  SyncmlItemCommand,
} from '../../../profiles/windows/syncml-model.ts';
import { poolKey, type PoolKeyPair } from '../../fixtures/key-pool.ts';
import { makeHierarchy, T0, YEAR, type Hierarchy } from '../pki/hierarchy.ts';

/** Half a year after the hierarchy's T0: everything in it is valid. */
export const NOW = new Date(T0.getTime() + YEAR / 2);
export const UNIQUE_ID = '5E9C6770-6D2E-4602-8ACA-B3418B1182BE';
export const PASSWORD = 'Pfx-Pa55word!';

export const WINDOWS_KINDS: readonly WindowsEnrollmentKind[] = ['entra-joined', 'hybrid-joined', 'workplace'];

export const HEADER: SyncHdr = {
  verDtd: '1.2',
  verProto: 'DM/1.2',
  sessionId: '7',
  msgId: 3,
  target: '7F3A1C2E-0000-4000-8000-000000000001',
  source: 'https://mdm.certfleet.test/omadm',
};

/** A self-signed management (MDM) certificate from a pool key. */
export function managementIdentity(index: number): ManagementIdentity {
  const key = poolKey('rsa2048', index);
  const certificate = createCertificate({
    subject: `CN=MDM Device ${index},O=Certfleet MDM`,
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: `4D${index}`,
    notBefore: T0,
    notAfter: new Date(T0.getTime() + 2 * YEAR),
  });
  return { certificate, privateKey: key.privateKey };
}

/** A device context on `db`. */
export function ctxFor(
  db: StoreDb,
  opts: {
    tpm?: boolean;
    /** Windows Hello for Business provisioned (default true). */
    windowsHello?: boolean;
    kind?: WindowsEnrollmentKind;
    identity?: ManagementIdentity | null;
    now?: Date;
  } = {},
): DeviceContext {
  const device = generateDevice({
    seed: 'agent-windows-tests',
    index: 0,
    platform: 'windows',
    kind: opts.kind ?? 'entra-joined',
    overrides: { tpm: opts.tpm ?? true, windowsHello: opts.windowsHello ?? true },
  });
  const ctx: DeviceContext = { device, db, clock: new FixedClock(opts.now ?? NOW) };
  const identity = opts.identity === undefined ? managementIdentity(5) : opts.identity;
  if (identity !== null) ctx.identity = identity;
  return ctx;
}

let cached: Hierarchy | undefined;
/** The default hierarchy (root → issuing → leaf with pool key 2). */
export function hierarchy(): Hierarchy {
  cached ??= makeHierarchy();
  return cached;
}

/** A hierarchy whose leaf has another key or validity. */
export function leafWith(o: {
  key?: PoolKeyPair;
  notBefore?: Date;
  notAfter?: Date;
  subject?: string;
}): Hierarchy {
  return makeHierarchy({
    ...(o.key ? { leafKey: o.key } : {}),
    ...(o.notBefore ? { leafNotBefore: o.notBefore } : {}),
    ...(o.notAfter ? { leafNotAfter: o.notAfter } : {}),
    ...(o.subject ? { leafSubject: o.subject } : {}),
  });
}

/** A PKCS#12 of the hierarchy's leaf with its chain. */
export function pfxOf(h: Hierarchy, password = PASSWORD): Buffer {
  return buildPkcs12({
    privateKey: h.leafKey.privateKey,
    certificates: [h.leaf.der, h.issuing.der, h.root.der],
    password,
    profile: 'modern',
    iterations: 1,
  });
}

/** The install parameters with defaults (device scope, KeyLocation 3, clear password, not exportable). */
export function pfxInstall(o: Partial<PfxInstall> & { pfxBlob: Buffer }): PfxInstall {
  return {
    scope: 'Device',
    uniqueId: UNIQUE_ID,
    keyLocation: 3,
    passwordEncryptionType: 0,
    password: PASSWORD,
    keyExportable: false,
    ...o,
  };
}

/** Sets the data of one PFX leaf in an Atomic the builder made (to send combinations the builder refuses). */
export function patchLeaf(atomic: SyncmlContainer, leaf: PfxLeaf, data: string): SyncmlContainer {
  return {
    ...atomic,
    children: atomic.children.map((c) => {
      const cmd = c as SyncmlItemCommand;
      const target = cmd.items[0]?.target ?? '';
      if (!target.endsWith(`/${leaf}`)) return c;
      return { ...cmd, items: [{ ...cmd.items[0], data }] };
    }),
  };
}

/** The PFX install Atomic at CmdIDs from `first`. */
export function pfxAtomic(install: PfxInstall, first = 2): SyncmlContainer {
  return buildPfxInstallAtomic(install, first);
}

/** An Add of a trusted certificate. */
export function trustedAdd(
  cert: Certificate | Buffer,
  cmdId: number,
  o: { scope?: 'Device' | 'User'; store?: 'Root' | 'CA' | 'TrustedPeople'; node?: string } = {},
): SyncmlItemCommand {
  const der = Buffer.isBuffer(cert) ? cert : cert.der;
  const node = o.node ?? (Buffer.isBuffer(cert) ? 'AB'.repeat(20) : cert.sha1Thumbprint);
  const add = buildTrustedCertAdd(
    {
      scope: o.scope ?? 'Device',
      store: o.store ?? 'Root',
      thumbprint: 'AB'.repeat(20),
      certificateDer: der,
    },
    cmdId,
  );
  const item = add.items[0];
  if (item?.target === undefined) return add;
  return { ...add, items: [{ ...item, target: item.target.replace('AB'.repeat(20), node) }] };
}

/** Encodes a server message with the given body. */
export function message(body: SyncmlCommand[]): Buffer {
  return encodeSyncml({ header: HEADER, body, final: true });
}

/** Decodes a device reply and indexes it. */
export function reply(bytes: Buffer): ReadReply & { msgId: number } {
  const decoded = decodeSyncml(bytes);
  if (!decoded.ok)
    throw new Error(`reply does not decode: ${decoded.problems.map((p) => p.message).join('; ')}`);
  return { ...readReply(decoded.message), msgId: decoded.message.header.msgId };
}

/** Status codes of a reply by the CmdID they answer. */
export function codes(r: ReadReply): Record<number, number> {
  return Object.fromEntries([...r.statuses].map(([cmdRef, s]) => [cmdRef, s.code]));
}

/** A comparable snapshot of everything the device's stores hold. */
export function snapshot(ctx: DeviceContext): unknown {
  return {
    items: ctx.db.items(ctx.device.id).map((i) => ({
      store: i.store,
      kind: i.kind,
      ref: i.ref,
      thumbprint: i.thumbprint,
      attrs: i.attrs,
      key: i.privateKey?.toString('hex'),
    })),
    profiles: ctx.db.profiles(ctx.device.id).map((p) => [p.ref, p.contentHash, p.meta]),
  };
}
