/**
 * A root → issuing CA → leaf hierarchy built from pool keys, for pki tests (and others that need one).
 */
import type { KeyObject } from 'node:crypto';
import {
  createCertificate,
  type Certificate,
  type CreateCertificateOptions,
} from '../../../pki/certificate.ts';
import type { ExtensionsSpec } from '../../../pki/extensions.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

/** The hierarchy and its keys. */
export interface Hierarchy {
  root: Certificate;
  rootKey: { privateKey: KeyObject; publicKey: KeyObject };
  issuing: Certificate;
  issuingKey: { privateKey: KeyObject; publicKey: KeyObject };
  leaf: Certificate;
  leafKey: { privateKey: KeyObject; publicKey: KeyObject };
}

export const T0 = new Date('2025-01-01T00:00:00Z');
export const YEAR = 365 * 86_400_000;

/** Options to vary the hierarchy. */
export interface HierarchyOptions {
  leafExtensions?: ExtensionsSpec;
  leafSubject?: string;
  leafNotBefore?: Date;
  leafNotAfter?: Date;
  issuingExtensions?: ExtensionsSpec;
  leafKey?: { privateKey: KeyObject; publicKey: KeyObject };
  hash?: CreateCertificateOptions['hash'];
}

/** Builds root (10 y, RSA pool key 0) → issuing CA (5 y, key 1) → leaf (1 y, key 2 unless given). */
export function makeHierarchy(o: HierarchyOptions = {}): Hierarchy {
  const rootKey = poolKey('rsa2048', 0);
  const issuingKey = poolKey('rsa2048', 1);
  const leafKey = o.leafKey ?? poolKey('rsa2048', 2);
  const root = createCertificate({
    subject: 'CN=Certfleet Test Root CA,O=Certfleet,C=US',
    publicKey: rootKey.publicKey,
    issuer: 'self',
    signingKey: rootKey.privateKey,
    serialNumber: '01',
    notBefore: T0,
    notAfter: new Date(T0.getTime() + 10 * YEAR),
    extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'] },
  });
  const issuing = createCertificate({
    subject: 'CN=Certfleet Test Issuing CA,O=Certfleet,C=US',
    publicKey: issuingKey.publicKey,
    issuer: root,
    signingKey: rootKey.privateKey,
    serialNumber: '1000',
    notBefore: T0,
    notAfter: new Date(T0.getTime() + 5 * YEAR),
    extensions: o.issuingExtensions ?? {
      basicConstraints: { ca: true, pathLength: 0 },
      keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
    },
  });
  const leaf = createCertificate({
    subject: o.leafSubject ?? 'CN=Ada Lovelace,OU=Users,O=Contoso,C=US',
    publicKey: leafKey.publicKey,
    issuer: issuing,
    signingKey: issuingKey.privateKey,
    serialNumber: '7A0000001234',
    notBefore: o.leafNotBefore ?? T0,
    notAfter: o.leafNotAfter ?? new Date(T0.getTime() + YEAR),
    extensions: o.leafExtensions ?? {
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: ['clientAuth'],
    },
    ...(o.hash ? { hash: o.hash } : {}),
  });
  return { root, rootKey, issuing, issuingKey, leaf, leafKey };
}
