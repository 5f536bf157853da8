/**
 * The tenant's PFX-import key: the RSA key pair the PFX password of every imported user PFX is encrypted to
 * (imported PKCS, issue 14 point 3). Microsoft's import module encrypts each password with a key whose private
 * half only the PFX connector holds, and the connector decrypts it and re-encrypts it per device [inferred from
 * the Graph `userPFXCertificate` fields `encryptedPfxPassword`, `providerName`, `keyName`, `paddingScheme`].
 *
 * certfleet keeps the pair beside the CA (or the tenant folder): `pfx-import/encryption-key.pem` (PKCS#8,
 * mode 0600; never logged) and `pfx-import/encryption-cert.pem`, a self-signed certificate the CMS recipient
 * is named by (issuer and serial, RFC 5652 §6.2.1).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { CertfleetError } from '../../../pki/errors.ts';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import {
  createCertificate,
  generateKeyPair,
  parseCertificate,
  type Certificate,
} from '../../../pki/index.ts';
import { writeAtomic } from '../ca/ca-folder.ts';

/** The files of the key, relative to the tenant folder. */
export const TENANT_KEY_FILES = {
  dir: 'pfx-import',
  key: join('pfx-import', 'encryption-key.pem'),
  certificate: join('pfx-import', 'encryption-cert.pem'),
} as const;

/** The key pair and its certificate. */
export interface TenantPfxKey {
  certificate: Certificate;
  privateKey: KeyObject;
  /** `keyName` of the stored records. */
  keyName: string;
}

/**
 * How the key file is sealed: by the CA whose folder holds it (EnterpriseCa sealKeyPem/openKeyPem: encrypted
 * with the CA's passphrase when it has one, as a run's CA does), or plain PKCS#8 (mode 0600) without one.
 */
export interface KeySeal {
  sealKeyPem(key: KeyObject): string;
  openKeyPem(pem: string, file: string): KeyObject;
}

/** The tenant key in `dir`, made (RSA-2048, native) on first use. */
export async function tenantPfxKey(dir: string, now: Date, seal?: KeySeal): Promise<TenantPfxKey> {
  const keyFile = join(dir, TENANT_KEY_FILES.key);
  const certFile = join(dir, TENANT_KEY_FILES.certificate);
  if (existsSync(keyFile) && existsSync(certFile)) {
    const pem = readFileSync(keyFile);
    return {
      privateKey: seal === undefined ? createPrivateKey(pem) : seal.openKeyPem(pem.toString('utf8'), keyFile),
      certificate: parseCertificate(readFileSync(certFile)),
      keyName: 'certfleet-pfx-import',
    };
  }
  mkdirSync(join(dir, TENANT_KEY_FILES.dir), { recursive: true });
  const pair = await generateKeyPair({ kind: 'rsa', size: 2048 });
  const certificate = createCertificate({
    subject: 'CN=certfleet PFX import key',
    publicKey: pair.publicKey,
    issuer: 'self',
    signingKey: pair.privateKey,
    serialNumber: '01',
    notBefore: new Date(now.getTime() - 86_400_000),
    notAfter: new Date(now.getTime() + 20 * 365 * 86_400_000),
    extensions: { keyUsage: ['keyEncipherment'] },
  });
  const pem =
    seal === undefined
      ? (pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)
      : seal.sealKeyPem(pair.privateKey);
  writeAtomic(keyFile, pem, 0o600);
  writeAtomic(certFile, certificate.pem);
  return { privateKey: pair.privateKey, certificate, keyName: 'certfleet-pfx-import' };
}

/**
 * The tenant key in `dir` as the PFX connector holds it: opened, never made (a key made now could not decrypt
 * the passwords imported before it).
 *
 * @throws CertfleetError PFX_TENANT_KEY when the key or its certificate is missing or does not open (another
 *   CA passphrase, a corrupt file), naming the file.
 */
export function openTenantPfxKey(dir: string, seal?: KeySeal): TenantPfxKey {
  const keyFile = join(dir, TENANT_KEY_FILES.key);
  const certFile = join(dir, TENANT_KEY_FILES.certificate);
  for (const file of [keyFile, certFile]) {
    if (!existsSync(file)) {
      throw new CertfleetError(
        'PFX_TENANT_KEY',
        `The PFX connector has no tenant key: ${file} is missing, so it cannot decrypt the passwords of the imported PFXs. Restore the tenant folder's pfx-import/ key files, or import the users' PFXs again (certfleet pfx import), which makes a new key.`,
        { details: { file } },
      );
    }
  }
  try {
    const pem = readFileSync(keyFile);
    return {
      privateKey: seal === undefined ? createPrivateKey(pem) : seal.openKeyPem(pem.toString('utf8'), keyFile),
      certificate: parseCertificate(readFileSync(certFile)),
      keyName: 'certfleet-pfx-import',
    };
  } catch (cause) {
    throw new CertfleetError(
      'PFX_TENANT_KEY',
      `The PFX connector cannot open the tenant key ${keyFile} (${(cause as Error).message}); restore the tenant folder's pfx-import/ key files as they were written.`,
      { cause, details: { file: keyFile } },
    );
  }
}
