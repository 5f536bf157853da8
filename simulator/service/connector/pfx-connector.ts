/**
 * The PFX connector (imported PKCS, issue 14 point 3; docs/formats.md §5.4): for a device of a user who has an
 * imported PFX, it decrypts the PFX password with the tenant key (which only it holds) and re-encrypts it to
 * the device's management certificate, as for a PKCS certificate (PKCSTS step 6 "re-encrypts for the device
 * using the Device Management Certificate"; profiles/windows/pfx-password.ts). The PFX itself travels as
 * imported. One connector per tenant: it is the holder of the tenant key (tenant-key.ts).
 *
 * {@link PfxConnector} is that connector as a client of its own — its own MQTT client, polling the service's
 * queue for imported-PFX work on the certificate connectors' lease protocol (protocol.ts, lease-client.ts) —
 * started once per tenant by the fleet's service side (simulator/fleet/pfx-connectors.ts). The functions
 * below are its steps.
 *
 * A user without an imported PFX for the profile's purpose gets PFX_NOT_IMPORTED, naming the user and purpose;
 * a tenant key missing, unreadable or not the one the password was encrypted to, PFX_TENANT_KEY.
 */
import type { Clock } from '../../../protocol/runtime/clock.ts';
import type { Scheduler } from '../../../protocol/runtime/scheduler.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { CertfleetError, isCertfleetError } from '../../../pki/errors.ts';
import { parseCertificate, type Certificate } from '../../../pki/index.ts';
import { decryptPfxPassword, encryptPfxPasswordForDevice } from '../../../profiles/windows/pfx-password.ts';
import { importsOf, type UserPfxIntendedPurpose, type UserPfxRecord } from '../pfx-import/pfx-store.ts';
import { openTenantPfxKey, type KeySeal, type TenantPfxKey } from '../pfx-import/tenant-key.ts';
import { LeasedConnector, type LeasePolling } from './leased-connector.ts';
import type { ImportedPfxResult, ImportedPfxWork, WorkLease } from './protocol.ts';

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

/** The MQTT client id (= connector id) of `tenant`'s PFX connector: one per tenant. */
export function pfxConnectorId(tenant: string): string {
  return `pfx-connector-${tenant}`;
}

/** Options of {@link PfxConnector}; its polling settings (leased-connector.ts) are those of the certificate connectors. */
export interface PfxConnectorOptions extends LeasePolling {
  tenant: string;
  /** The tenant folder: the imported-PFX store and the tenant key (a run's CA folder). */
  dir: string;
  /** How the tenant key file is sealed (the CA whose folder holds it: tenant-key.ts KeySeal); plain without. */
  seal?: KeySeal;
  /** Its own MQTT client, id {@link pfxConnectorId}. */
  transport: Transport;
  clock: Clock & Scheduler;
}

/**
 * The tenant's PFX connector as a client of its own (docs/architecture.md flow step 4): it polls the MDM
 * service for imported-PFX work (role `pfx-import`, protocol.ts) on the lease protocol the certificate
 * connectors speak (lease-client.ts), and for each request reads the user's newest import for the purpose
 * from the tenant's store, decrypts its password with the tenant key (which only it opens), re-encrypts it to
 * the device's management certificate when the work carries one, commits and answers. A user with no import
 * answers PFX_NOT_IMPORTED; a tenant key missing, unreadable or not the one the password was encrypted to
 * answers PFX_TENANT_KEY. It never issues anything: the certificate is the one the user imported.
 */
export class PfxConnector extends LeasedConnector<ImportedPfxWork> {
  readonly #o: PfxConnectorOptions;
  /** The tenant key, once opened (opened at the first request that needs it: none may be imported yet). */
  #key: TenantPfxKey | undefined;

  constructor(options: PfxConnectorOptions) {
    super(
      {
        id: pfxConnectorId(options.tenant),
        tenant: options.tenant,
        transport: options.transport,
        clock: options.clock,
        role: 'pfx-import',
      },
      options,
    );
    this.#o = options;
  }

  /** The tenant it serves. */
  get tenant(): string {
    return this.#o.tenant;
  }

  /** @inheritdoc */
  protected async process(lease: WorkLease<ImportedPfxWork>): Promise<void> {
    await this.client.commitThenReport(lease, this.#open(lease.work));
  }

  /** The answer to one request: the PFX with its password for the device, or the coded failure. */
  #open(work: ImportedPfxWork): ImportedPfxResult {
    try {
      const records = importsOf(this.#o.dir, work.userPrincipalName);
      findImportedPfx(records, work.userPrincipalName, work.purpose); // PFX_NOT_IMPORTED before the key
      this.#key ??= openTenantPfxKey(this.#o.dir, this.#o.seal);
      let opened: OpenedImportedPfx;
      try {
        opened = openImportedPfx(records, this.#key, work.userPrincipalName, work.purpose);
      } catch (e) {
        if (!isCertfleetError(e, 'INSTALL_PASSWORD_UNDECRYPTABLE')) throw e;
        throw new CertfleetError(
          'PFX_TENANT_KEY',
          `The PFX connector cannot decrypt the password of ${work.userPrincipalName}'s ${work.purpose} PFX with the tenant key in ${this.#o.dir}: it was encrypted to another key. Import the PFX again (certfleet pfx import) so that it is encrypted to this tenant's key.`,
          { cause: e, details: { user: work.userPrincipalName, purpose: work.purpose } },
        );
      }
      const password =
        work.deviceCertificate === undefined
          ? { password: opened.password }
          : {
              encryptedPassword: encryptPfxPasswordForDevice(
                opened.password,
                parseCertificate(Buffer.from(work.deviceCertificate, 'base64')),
              ),
            };
      return {
        ok: true,
        kind: 'imported-pfx',
        pfx: opened.pfx.toString('base64'),
        thumbprint: opened.thumbprint,
        intendedPurpose: opened.intendedPurpose,
        ...password,
      };
    } catch (e) {
      return {
        ok: false,
        code: isCertfleetError(e) ? e.code : 'INTERNAL',
        message: isCertfleetError(e)
          ? e.message
          : `The PFX connector ${this.id} failed: ${(e as Error).message}`,
      };
    }
  }
}
