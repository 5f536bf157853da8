/**
 * The CA folder's private-key files (`root.key`, `issuing.key`, mode 0600): PKCS#8 PEM, encrypted
 * (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, PKCS#5 v2 PBES2: PBKDF2 + AES-256-CBC, RFC 8018, as
 * `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes) when the CA was made with a passphrase (issue 10 point 5):
 * `certfleet ca init --passphrase-env VAR`, and every command that opens the CA reads the passphrase from
 * `CERTFLEET_CA_PASSPHRASE`. `certfleet run` seals the CA it makes in its run folder with a random
 * passphrase held in memory for the run only.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { CertfleetError } from '../../../pki/errors.ts';

/** The environment variable the passphrase of an encrypted CA folder is read from when it is opened. */
export const CA_PASSPHRASE_ENV = 'CERTFLEET_CA_PASSPHRASE';

/** The PEM of a CA private key: encrypted PKCS#8 with `passphrase`, plain PKCS#8 without one. */
export function caKeyPem(key: KeyObject, passphrase: string | undefined): string {
  if (passphrase === undefined) return key.export({ type: 'pkcs8', format: 'pem' }) as string;
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
}

/** Whether a key file's PEM is encrypted. */
export function isEncryptedKeyPem(pem: string): boolean {
  return pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
}

/**
 * Reads a CA key PEM; an encrypted one with `passphrase`.
 * @throws CertfleetError CA_PASSPHRASE when it is encrypted and the passphrase is missing or wrong (the
 * message names the variable, never any part of a passphrase); KEY_PARSE when it is not a key at all.
 */
export function readCaKeyPem(pem: string, file: string, passphrase: string | undefined): KeyObject {
  if (!isEncryptedKeyPem(pem)) {
    try {
      return createPrivateKey({ key: pem, format: 'pem' });
    } catch (cause) {
      throw new CertfleetError('KEY_PARSE', `${file} is not a PEM private key.`, { cause });
    }
  }
  if (passphrase === undefined || passphrase === '') {
    throw new CertfleetError(
      'CA_PASSPHRASE',
      `${file} is encrypted: set ${CA_PASSPHRASE_ENV} to the passphrase the CA was made with (ca init --passphrase-env).`,
    );
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch (cause) {
    throw new CertfleetError(
      'CA_PASSPHRASE',
      `${file} does not open with the passphrase in ${CA_PASSPHRASE_ENV}: it is not the one the CA was made with.`,
      { cause },
    );
  }
}
