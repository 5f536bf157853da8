/**
 * Imported PKCS (issue 14 point 3) in the service harness (harness.ts): the imported-certificate profile of
 * a family, and a user's S/MIME PFX issued by the world's CA and imported into a tenant folder as
 * `certfleet pfx import` does. Shared by the imported-delivery, PFX connector and request-resume tests.
 */
import type { Certificate } from '../../../pki/index.ts';
import { buildPkcs12 } from '../../../pki/pkcs12.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { importUserPfx } from '../../../simulator/service/pfx-import/import-pfx.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { profileOf, START, type world } from './harness.ts';

/** The imported-certificate (S/MIME encryption) profile of `family`. */
export const importedProfile = (family: string) =>
  profileOf({
    kind: 'pkcs-imported-certificate',
    family,
    displayName: `S/MIME (${family})`,
    intendedPurpose: 'smimeEncryption',
  });

/** How one import is made. */
export interface ImportOptions {
  /** The PFX password (a test's own, never a secret shown anywhere). */
  password: string;
  /** The certificate's subject; default `CN=<upn>`. */
  subject?: string;
  /** The fixture pool key of the certificate (default 7). */
  key?: number;
  /** The tenant folder; default the world's CA folder. */
  dir?: string;
  /** When it is imported; default the harness's start (the certificate is issued then, whatever this is). */
  importedAt?: Date;
}

/**
 * Issues an S/MIME certificate for `upn` from the world's CA (a server-side key, as a tenant's own CA
 * would), packs it with the issuing CA in a modern PFX and imports it for `upn`; returns the certificate.
 */
export async function importSmimeFor(
  w: Awaited<ReturnType<typeof world>>,
  upn: string,
  o: ImportOptions,
): Promise<Certificate> {
  const k = poolKey('rsa2048', o.key ?? 7);
  const cert = w.ca.issue({
    template: 'CertfleetUser',
    requester: { identity: 'pfx-admin', groups: [CONNECTOR_GROUP] },
    subject: o.subject ?? `CN=${upn}`,
    publicKey: k.publicKey,
    serverSideKey: true,
    now: START,
  }).certificate;
  const pfx = buildPkcs12({
    privateKey: k.privateKey,
    certificates: [cert.der, w.ca.issuing.der],
    password: o.password,
    profile: 'modern',
  });
  await importUserPfx({
    dir: o.dir ?? w.ca.dir,
    userPrincipalName: upn,
    pfx,
    password: o.password,
    purpose: 'smimeEncryption',
    now: o.importedAt ?? START,
  });
  return cert;
}
