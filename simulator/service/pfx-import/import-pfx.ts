/**
 * `certfleet pfx import`: stores one user's PFX as Microsoft's PFX import module does (imported PKCS, issue 14
 * point 3; docs/formats.md §5.4) — the PFX checked against its password (a key and the certificate it belongs
 * to), the password encrypted to the tenant key (the Windows PFX-password CMS codec,
 * profiles/windows/pfx-password.ts), the record written to the tenant's store. Bad input changes nothing.
 */
import { createPublicKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CertfleetError } from '../../../pki/errors.ts';
import { parseCertificate } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { encryptPfxPasswordForDevice } from '../../../profiles/windows/pfx-password.ts';
import { PfxStore, USER_PFX_INTENDED_PURPOSES, type UserPfxRecord } from './pfx-store.ts';
import { tenantPfxKey, type KeySeal } from './tenant-key.ts';
import { hasCa } from '../ca/ca-folder.ts';
import { EnterpriseCa } from '../ca/enterprise-ca.ts';

/** Options of {@link importUserPfx}. */
export interface ImportUserPfxOptions {
  /** The tenant folder (a CA folder, or any folder that holds the tenant's PFX-import key). */
  dir: string;
  userPrincipalName: string;
  pfx: Buffer;
  /** The PFX password; never stored in clear, printed or logged. */
  password: string;
  purpose: string;
  now: Date;
  /** Seals the tenant key file as the CA folder's keys are (tenant-key.ts KeySeal); plain without. */
  seal?: KeySeal;
}

/** What was imported (no secret in it). */
export type ImportedPfx = Omit<UserPfxRecord, 'encryptedPfxBlob' | 'encryptedPfxPassword'>;

function invalid(message: string, details: Record<string, unknown>): CertfleetError {
  return new CertfleetError('PFX_IMPORT_INVALID', message, { details });
}

/**
 * Imports `pfx` for `userPrincipalName`.
 *
 * @throws CertfleetError PFX_IMPORT_INVALID (purpose, UPN, a PFX without a key or certificate),
 *   PKCS12_PARSE / PKCS12_BAD_PASSWORD / PKCS12_UNSUPPORTED from the PFX itself.
 */
export async function importUserPfx(o: ImportUserPfxOptions): Promise<ImportedPfx> {
  if (!(USER_PFX_INTENDED_PURPOSES as readonly string[]).includes(o.purpose)) {
    throw invalid(
      `--purpose '${o.purpose}' is not an intended purpose of an imported PFX; use one of ${USER_PFX_INTENDED_PURPOSES.join(', ')}.`,
      { purpose: o.purpose },
    );
  }
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(o.userPrincipalName)) {
    throw invalid(
      `--user '${o.userPrincipalName}' is not a user principal name; give the user's UPN, such as ada.lovelace@contoso.com.`,
      { user: o.userPrincipalName },
    );
  }
  const parsed = parsePkcs12(o.pfx, o.password);
  const leafDer = parsed.certificates[0];
  if (leafDer === undefined) {
    throw invalid(
      'The PFX holds a private key but no certificate; export it again with its certificate.',
      {},
    );
  }
  const leaf = parseCertificate(leafDer);
  const keyMatches = leaf.publicKey
    .export({ type: 'spki', format: 'der' })
    .equals(createPublicKey(parsed.privateKey).export({ type: 'spki', format: 'der' }));
  if (!keyMatches) {
    throw invalid(
      `The PFX's private key does not belong to its certificate ${leaf.subjectText}; export the certificate with its own key.`,
      { thumbprint: leaf.sha1Thumbprint },
    );
  }
  const key = await tenantPfxKey(o.dir, o.now, o.seal);
  const record: UserPfxRecord = {
    id: randomUUID(),
    userPrincipalName: o.userPrincipalName,
    thumbprint: leaf.sha1Thumbprint,
    intendedPurpose: o.purpose as UserPfxRecord['intendedPurpose'],
    subject: leaf.subjectText,
    startDateTime: leaf.notBefore.toISOString(),
    expirationDateTime: leaf.notAfter.toISOString(),
    providerName: 'certfleet',
    keyName: key.keyName,
    paddingScheme: 'oaepSha256',
    encryptedPfxBlob: o.pfx.toString('base64'),
    encryptedPfxPassword: encryptPfxPasswordForDevice(o.password, key.certificate),
    createdDateTime: o.now.toISOString(),
  };
  const store = PfxStore.open(o.dir);
  try {
    store.put(record);
  } finally {
    store.close();
  }
  const { encryptedPfxBlob: _blob, encryptedPfxPassword: _password, ...shown } = record;
  return shown;
}

/** The environment variable `certfleet pfx import` reads the PFX password from (never the command line). */
export const PFX_PASSWORD_ENV = 'CERTFLEET_PFX_PASSWORD';

/** `certfleet pfx import`: reads `file` and the password from `env`, then {@link importUserPfx}. */
export async function pfxImportCommand(o: {
  dir: string;
  user: string;
  file: string;
  purpose: string;
  env: Record<string, string | undefined>;
  now?: Date;
}): Promise<ImportedPfx> {
  const password = o.env[PFX_PASSWORD_ENV];
  if (password === undefined) {
    throw new CertfleetError(
      'USAGE',
      `Set ${PFX_PASSWORD_ENV} to the PFX's password (it is never taken from the command line, where ps would show it).`,
    );
  }
  let pfx: Buffer;
  try {
    pfx = readFileSync(o.file);
  } catch (cause) {
    throw new CertfleetError('IO', `Cannot read the PFX ${o.file}: ${(cause as Error).message}`, {
      cause,
      details: { file: o.file, input: true },
    });
  }
  return importUserPfx({
    dir: o.dir,
    userPrincipalName: o.user,
    pfx,
    password,
    purpose: o.purpose,
    now: o.now ?? new Date(),
    // in a CA folder the tenant key is sealed as the CA's own keys are (encrypted with CERTFLEET_CA_PASSPHRASE
    // when the CA has one), as the run's PFX connector reads it (fleet/pfx-connectors.ts)
    ...(hasCa(o.dir) && { seal: EnterpriseCa.open(o.dir) }),
  });
}

/** `certfleet pfx list`: the imported PFXs of `dir` (of one user with `user`), without their secrets. */
export function pfxListCommand(o: { dir: string; user?: string }): ImportedPfx[] {
  const store = PfxStore.open(o.dir);
  try {
    return store.list(o.user).map(({ encryptedPfxBlob: _b, encryptedPfxPassword: _p, ...shown }) => shown);
  } finally {
    store.close();
  }
}
