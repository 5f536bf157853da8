/**
 * Server-side PKCS issuance, as the Intune certificate connector does it: generate the key pair on the
 * server, have the CA issue from the template, and pack key + leaf + issuing CA into a password-protected
 * PKCS#12 (docs/formats.md §5.2 "PKCS key handling"; PFXDOC) — or key + leaf only when the connector is set
 * to `pfxChain: leaf` (docs/formats.md §5.2 "What the PKCS#12 carries": what the PKCS#12 carries is not documented [inferred]). The PKCS#12 is built by the issuance pool
 * when one is given (pki/pkcs12-pool.ts: on a worker thread, same bytes), in this thread otherwise.
 */
import { generateKeyPair, type Certificate, type KeyPair, type SanEntry } from '../../../pki/index.ts';
import { buildPkcs12 } from '../../../pki/pkcs12.ts';
import type { Pkcs12Builder } from '../../../pki/pkcs12-pool.ts';
import type { EnterpriseCa, IssuedCertificate, Requester } from './enterprise-ca.ts';
import { denial } from './denials.ts';
import { connectorKeySizeFor, type ValidityPeriod } from './template.ts';

/** A PKCS (server-side key) request. */
export interface PfxRequest {
  /** Template name; omit it for a standalone CA, which issues with its defaults. */
  template?: string;
  subject: string;
  san?: SanEntry[];
  /** RSA key size for the server-side key (default: the template's minimum, at least 2048). */
  keySize?: 2048 | 3072 | 4096;
  /** Use a key made elsewhere (tests pass pool keys; connectors may pre-generate). */
  keyPair?: KeyPair;
  /** Legacy PKCS#12 (3DES + SHA-1 MAC) for older Apple/Android devices; PBES2/AES-256 + SHA-256 MAC otherwise. */
  legacy?: boolean;
  password: string;
  requester: Requester;
  /** The on-premises SID for the KB5014754 SID security extension (the connector's SID setting). */
  securityIdentifier?: string;
  validity?: ValidityPeriod;
  now: Date;
  /** Builds the PKCS#12 (the issuance pool); default: in this thread. */
  pkcs12?: Pkcs12Builder;
  /**
   * What the PKCS#12 carries beside the key: `issuing` (default) the leaf and the issuing CA that signed it,
   * `leaf` the leaf only (docs/formats.md §5.2 "What the PKCS#12 carries").
   */
  chain?: PfxChain;
  /** The MDM service's request id, kept in the CA's issued record (policy-module.ts `requestId`). */
  requestId?: string;
}

/** What a connector's PKCS#12 carries beside the key (docs/formats.md §5.2 "What the PKCS#12 carries"). */
export type PfxChain = 'issuing' | 'leaf';

/** The issued certificate and its PKCS#12. */
export interface IssuedPfx extends IssuedCertificate {
  pfx: Buffer;
}

/**
 * The RSA key size of a server-side key for `template` on `ca`: the size the run asks for (a scenario profile's
 * `keySize`), else the template's minimum, at least 2048 (template.ts connectorKeySizeFor).
 */
export function pfxKeySize(
  ca: EnterpriseCa,
  template: string | undefined,
  asked?: 2048 | 3072 | 4096,
): 2048 | 3072 | 4096 {
  return asked ?? connectorKeySizeFor(template === undefined ? undefined : ca.template(template));
}

/** Generates the key (unless given), issues, and packs the PKCS#12 (leaf, then the issuing CA unless `chain: leaf`). */
export async function issuePfx(ca: EnterpriseCa, req: PfxRequest): Promise<IssuedPfx> {
  const keyPair =
    req.keyPair ?? (await generateKeyPair({ kind: 'rsa', size: pfxKeySize(ca, req.template, req.keySize) }));
  // signed off this thread, recorded in call order (enterprise-ca.ts issueAsync)
  const issued = await ca.issueAsync({
    template: req.template,
    requester: req.requester,
    subject: req.subject,
    san: req.san,
    publicKey: keyPair.publicKey,
    validity: req.validity,
    serverSideKey: true,
    ...(req.securityIdentifier !== undefined && { securityIdentifier: req.securityIdentifier }),
    ...(req.requestId !== undefined && { requestId: req.requestId }),
    now: req.now,
  });
  const pfx = await packPfx(ca, issued.certificate, keyPair, req);
  return { ...issued, pfx };
}

/**
 * Packs `keyPair` and `certificate` (issued by `ca`) into a PKCS#12 as {@link issuePfx} does: a connector
 * that finds its lost request already issued (enterprise-ca.ts `issuedForRequest`) delivers it this way.
 */
export async function packPfx(
  ca: EnterpriseCa,
  certificate: Certificate,
  keyPair: KeyPair,
  o: Pick<PfxRequest, 'password' | 'legacy' | 'pkcs12' | 'chain' | 'template'>,
): Promise<Buffer> {
  // The connector made its key under the template's export policy: a template without "Allow private key to
  // be exported" leaves a key the export into the PFX refuses, after the CA issued (denials.ts).
  const template = o.template === undefined ? undefined : ca.template(o.template);
  if (template !== undefined && !template.allowPrivateKeyExport) {
    throw denial(
      'CONNECTOR_KEY_NOT_EXPORTABLE',
      `Template '${template.name}' does not allow the private key to be exported (Request Handling), so the connector cannot put the key it made into the PFX; the CA issued certificate ${certificate.serialNumber}, which never reaches the device`,
      `template ${template.name}`,
    );
  }
  const job = {
    privateKey: keyPair.privateKey,
    certificates: o.chain === 'leaf' ? [certificate.der] : [certificate.der, ca.issuing.der],
    password: o.password,
    profile: o.legacy ? ('legacy' as const) : ('modern' as const),
  };
  return o.pkcs12 ? o.pkcs12.build(job) : buildPkcs12(job);
}
