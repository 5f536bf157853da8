/**
 * The PFX connector (imported PKCS, issue 14 point 3; docs/formats.md §5.4): for a device of a user who has an
 * imported PFX, it decrypts the PFX password with the tenant key (which only it holds) and re-encrypts it to
 * the device's management certificate, as for a PKCS certificate (PKCSTS step 6 "re-encrypts for the device
 * using the Device Management Certificate"; profiles/windows/pfx-password.ts). The PFX itself travels as
 * imported. One connector per tenant: it is the holder of the tenant key (tenant-key.ts).
 *
 * A user without an imported PFX for the profile's purpose gets PFX_NOT_IMPORTED, naming the user and purpose.
 */
import { CertfleetError } from '../../../pki/errors.ts';
import type { Certificate } from '../../../pki/index.ts';
import { decryptPfxPassword, encryptPfxPasswordForDevice } from '../../../profiles/windows/pfx-password.ts';
import type { UserPfxIntendedPurpose, UserPfxRecord } from '../pfx-import/pfx-store.ts';
import type { TenantPfxKey } from '../pfx-import/tenant-key.ts';

/** What the service delivers to one device: the PFX as imported, and its password for that device only. */
export interface ImportedPfxDelivery {
  thumbprint: string;
  intendedPurpose: UserPfxIntendedPurpose;
  /** The PFX, as imported. */
  pfx: Buffer;
  /** The PFX password as a base64 CMS EnvelopedData to the device's management certificate. */
  encryptedPassword: string;
}

/** The user's imported PFX opened by the connector: the PFX as imported and its password (never logged). */
export interface OpenedImportedPfx {
  thumbprint: string;
  intendedPurpose: UserPfxIntendedPurpose;
  pfx: Buffer;
  password: string;
}

/**
 * The delivery of `userPrincipalName`'s newest imported PFX for `purpose` to the device whose management
 * certificate is `deviceCertificate`.
 *
 * @throws CertfleetError PFX_NOT_IMPORTED when the user has none for that purpose.
 */
export function deliverImportedPfx(
  records: readonly UserPfxRecord[],
  key: TenantPfxKey,
  userPrincipalName: string,
  purpose: UserPfxIntendedPurpose,
  deviceCertificate: Certificate,
): ImportedPfxDelivery {
  const opened = openImportedPfx(records, key, userPrincipalName, purpose);
  return {
    thumbprint: opened.thumbprint,
    intendedPurpose: opened.intendedPurpose,
    pfx: opened.pfx,
    encryptedPassword: encryptPfxPasswordForDevice(opened.password, deviceCertificate),
  };
}

/**
 * `userPrincipalName`'s newest imported PFX for `purpose`, its password decrypted with the tenant key — what
 * the MDM service compiles into each platform's PKCS wrapping (the Windows password then encrypted to the
 * device's management certificate, as for PKCS: handlers/delivery.ts compileAndSend).
 *
 * @throws CertfleetError PFX_NOT_IMPORTED when the user has none for that purpose.
 */
export function openImportedPfx(
  records: readonly UserPfxRecord[],
  key: TenantPfxKey,
  userPrincipalName: string,
  purpose: UserPfxIntendedPurpose,
): OpenedImportedPfx {
  const record = findImportedPfx(records, userPrincipalName, purpose);
  return {
    thumbprint: record.thumbprint,
    intendedPurpose: record.intendedPurpose,
    pfx: Buffer.from(record.encryptedPfxBlob, 'base64'),
    password: decryptPfxPassword(record.encryptedPfxPassword, [key]),
  };
}

/**
 * The record of `userPrincipalName`'s newest imported PFX for `purpose` (UPN compared case-insensitively).
 *
 * @throws CertfleetError PFX_NOT_IMPORTED when the user has none for that purpose.
 */
export function findImportedPfx(
  records: readonly UserPfxRecord[],
  userPrincipalName: string,
  purpose: UserPfxIntendedPurpose,
): UserPfxRecord {
  const upn = userPrincipalName.toLowerCase();
  const mine = records
    .filter((r) => r.userPrincipalName.toLowerCase() === upn && r.intendedPurpose === purpose)
    .sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime));
  const record = mine[0];
  if (record === undefined) {
    const other = records
      .filter((r) => r.userPrincipalName.toLowerCase() === upn)
      .map((r) => r.intendedPurpose);
    throw new CertfleetError(
      'PFX_NOT_IMPORTED',
      `${userPrincipalName} has no imported PFX for the purpose ${purpose}` +
        (other.length > 0 ? ` (only for ${[...new Set(other)].join(', ')})` : '') +
        `; import one with certfleet pfx import --user ${userPrincipalName} --purpose ${purpose}.`,
      { details: { user: userPrincipalName, purpose } },
    );
  }
  return record;
}
