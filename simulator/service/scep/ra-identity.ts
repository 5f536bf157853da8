/**
 * The NDES registration authority (RA) identity: NDES enrols itself an RA certificate from the enterprise CA
 * when it is installed ("MSCEP-RA"), signs its CertRep replies with it and decrypts requests enveloped to it;
 * GetCACert returns it with the CA (docs/formats.md §7.3). certfleet issues it once from the CA (recorded in
 * the CA's issued log, as AD CS records NDES's enrolment) and keeps it in `<ca>/scep/`: the certificate as
 * PEM, the key as PKCS#8 (mode 0600, encrypted with the CA's passphrase when the CA has one), so that every
 * `scep serve` of the folder presents the same RA, as an installed NDES does.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { generateKeyPair, type KeyPair } from '../../../pki/keys.ts';
import { CA_PASSPHRASE_ENV, caKeyPem, readCaKeyPem } from '../ca/ca-key-file.ts';
import { writeAtomic } from '../ca/ca-folder.ts';
import type { EnterpriseCa } from '../ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../ca/template.ts';

/** The RA's certificate and key. */
export interface RaIdentity {
  certificate: Certificate;
  privateKey: KeyObject;
}

/** Where the RA lives inside a CA folder. */
export const RA_FILES = { dir: 'scep', cert: 'ra.pem', key: 'ra-key.pem' } as const;

/** The identity NDES enrols its RA certificate as (a member of the connector group, which may Enroll). */
export const NDES_REQUESTER = { identity: 'certfleet-ndes', groups: [CONNECTOR_GROUP] };

/**
 * Loads the RA of the CA folder, or issues one (RSA-2048, or `key` — tests pass pool keys) and stores it.
 *
 * @throws CertfleetError from the CA (a denial) or CA_CORRUPT when the stored RA cannot be read.
 */
export async function loadOrIssueRa(
  ca: EnterpriseCa,
  o: { now: Date; key?: KeyPair; passphrase?: string },
): Promise<RaIdentity> {
  const dir = join(ca.dir, RA_FILES.dir);
  const certFile = join(dir, RA_FILES.cert);
  const keyFile = join(dir, RA_FILES.key);
  const passphrase = o.passphrase ?? process.env[CA_PASSPHRASE_ENV];
  if (existsSync(certFile) && existsSync(keyFile)) {
    const certificate = parseCertificate(readFileSync(certFile, 'utf8'));
    const pem = readFileSync(keyFile, 'utf8');
    const privateKey =
      passphrase === undefined ? ca.openKeyPem(pem, keyFile) : readCaKeyPem(pem, keyFile, passphrase);
    if (certificate.notAfter.getTime() > o.now.getTime()) return { certificate, privateKey };
  }
  const key = o.key ?? (await generateKeyPair({ kind: 'rsa', size: 2048 }));
  const name = ca.issuing.subjectText.replace(/^CN=([^,]*).*$/, '$1');
  const issued = ca.issue({
    ...(ca.kind === 'enterprise' && { template: 'CertfleetDevice' }),
    requester: NDES_REQUESTER,
    subject: `CN=${name.replace(/([,+"\\<>;=])/g, '\\$1')} MSCEP-RA,O=Certfleet,C=US`,
    publicKey: key.publicKey,
    now: o.now,
  });
  mkdirSync(dir, { recursive: true });
  // no passphrase given: sealed as the CA's own keys are (a run's CA has one in memory only)
  const sealed =
    passphrase === undefined ? ca.sealKeyPem(key.privateKey) : caKeyPem(key.privateKey, passphrase);
  writeAtomic(keyFile, sealed, 0o600);
  writeAtomic(certFile, issued.certificate.pem);
  return { certificate: issued.certificate, privateKey: key.privateKey };
}
