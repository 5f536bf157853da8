/**
 * Imported-PKCS fixtures (profiles/model/imported-pkcs.ts): a profile per family, and the tenant's imported-PFX
 * records of one user with a PFX per purpose, so a test can see which PFX the PFX connector picks.
 */
import type { KeyObject } from 'node:crypto';
import { createCertificate } from '../../../pki/index.ts';
import type { ImportedPkcsProfile } from '../../../profiles/model/imported-pkcs.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import { encryptPfxPasswordForDevice } from '../../../profiles/windows/pfx-password.ts';
import type { UserPfxRecord } from '../../../simulator/service/pfx-import/pfx-store.ts';
import type { TenantPfxKey } from '../../../simulator/service/pfx-import/tenant-key.ts';
import { fixedIdentity, profileOf } from './fixtures.ts';

/** An imported-PKCS profile of `family` for S/MIME encryption, with `extra` settings. */
export function importedProfile(
  family: ProfileFamily,
  extra: Record<string, unknown> = {},
): ImportedPkcsProfile {
  return profileOf({
    kind: 'pkcs-imported-certificate',
    family,
    displayName: `Contoso S/MIME (${family})`,
    intendedPurpose: 'smimeEncryption',
    ...extra,
  });
}

/** A tenant PFX-import key made from a pool key pair. */
export function tenantKeyOf(pair: { publicKey: KeyObject; privateKey: KeyObject }): TenantPfxKey {
  const certificate = createCertificate({
    subject: 'CN=certfleet PFX import key',
    publicKey: pair.publicKey,
    issuer: 'self',
    signingKey: pair.privateKey,
    serialNumber: '01',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    extensions: { keyUsage: ['keyEncipherment'] },
  });
  return { certificate, privateKey: pair.privateKey, keyName: 'certfleet-pfx-import' };
}

/**
 * Records of ada@contoso.com: the fixed identity imported once for smimeEncryption and once (under another
 * thumbprint, as a second certificate would have) for smimeSigning.
 */
export function adaRecords(key: TenantPfxKey): UserPfxRecord[] {
  const id = fixedIdentity();
  const common = {
    userPrincipalName: 'ada@contoso.com',
    subject: id.leaf.subjectText,
    startDateTime: id.leaf.notBefore.toISOString(),
    expirationDateTime: id.leaf.notAfter.toISOString(),
    providerName: 'certfleet',
    keyName: key.keyName,
    paddingScheme: 'oaepSha256' as const,
    encryptedPfxBlob: id.pfx.toString('base64'),
    encryptedPfxPassword: encryptPfxPasswordForDevice(id.password, key.certificate),
    createdDateTime: '2026-05-01T00:00:00.000Z',
  };
  return [
    { ...common, id: 'r1', thumbprint: id.leaf.sha1Thumbprint, intendedPurpose: 'smimeEncryption' },
    { ...common, id: 'r2', thumbprint: 'B'.repeat(40), intendedPurpose: 'smimeSigning' },
  ];
}
