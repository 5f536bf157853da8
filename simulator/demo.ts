/**
 * `certfleet demo`: the smallest end-to-end check of the PKI and CA layers, without a fleet. Create a CA,
 * issue a user certificate from the CertfleetUser template with a server-side key (as a PKCS connector
 * does), open the PKCS#12 again, and verify its chain to the root at the current time. Without `dir` the
 * CA lives in a temporary folder that is removed at the end (it holds the CA private keys).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ekuName, parseCertificate, verifyChain, type KeyPair } from '../pki/index.ts';
import { parsePkcs12 } from '../pki/pkcs12.ts';
import { EnterpriseCa } from './service/ca/enterprise-ca.ts';
import { issuePfx } from './service/ca/issue-pfx.ts';
import { CONNECTOR_GROUP } from './service/ca/template.ts';
import { CertfleetError, isCertfleetError } from '../pki/errors.ts';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** CA folder to create (an existing CA there is refused: CA_EXISTS); a temporary one, removed at the end, when absent. */
  dir?: string;
  now?: Date;
  /** Root, issuing CA and leaf keys (generated natively when absent; tests pass pool keys). */
  keys?: { root: KeyPair; issuing: KeyPair; leaf: KeyPair };
}

/**
 * Runs the demo and returns its report lines; `ok` is false when the chain does not verify. A CA folder
 * the demo made itself (no `dir`) is removed before it returns, whatever happens.
 */
export async function runDemo(o: DemoOptions = {}): Promise<{ ok: boolean; lines: string[] }> {
  if (o.dir !== undefined) return demoIn(o.dir, o, false);
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-demo-'));
  try {
    return await demoIn(dir, o, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function demoIn(
  dir: string,
  o: DemoOptions,
  temporary: boolean,
): Promise<{ ok: boolean; lines: string[] }> {
  const now = o.now ?? new Date();
  const started = Date.now();
  const ca = await EnterpriseCa.init(dir, {
    now,
    // a folder the demo made itself is fresh; a CA already in `--dir` stays (CA_EXISTS), as `ca init` does
    force: temporary,
    ...(o.keys && { rootKey: o.keys.root, issuingKey: o.keys.issuing }),
  }).catch((e: unknown) => {
    if (!isCertfleetError(e, 'CA_EXISTS')) throw e;
    throw new CertfleetError(
      'CA_EXISTS',
      `A CA already exists in ${dir}, and the demo makes a new one: give --dir a folder without a CA, or leave --dir out for a temporary one. The CA stays as it was.`,
      { cause: e },
    );
  });
  const password = 'demo-only-password';
  const issued = await issuePfx(ca, {
    template: 'CertfleetUser',
    subject: 'CN=Ada Lovelace,OU=Engineering,O=Contoso',
    san: [
      { type: 'upn', value: 'ada@contoso.com' },
      { type: 'email', value: 'ada@contoso.com' },
    ],
    password,
    ...(o.keys && { keyPair: o.keys.leaf }),
    requester: { identity: 'demo-connector', groups: [CONNECTOR_GROUP] },
    now,
  });
  const opened = parsePkcs12(issued.pfx, password);
  const leaf = parseCertificate(opened.certificates[0]!);
  const result = verifyChain({
    leaf,
    intermediates: opened.certificates.slice(1).map((c) => parseCertificate(c)),
    trustedRoots: [ca.root],
    at: now,
  });
  const lines = [
    `CA created in ${dir}${temporary ? ' (temporary: removed when the demo ends; pass --dir to keep it)' : ''}`,
    `  root     ${ca.root.subjectText}  ${ca.root.sha1Thumbprint}`,
    `  issuing  ${ca.issuing.subjectText}  ${ca.issuing.sha1Thumbprint}`,
    `Issued from template CertfleetUser (server-side RSA-2048 key, PKCS#12 ${issued.pfx.length} bytes)`,
    `  subject  ${leaf.subjectText}`,
    `  SAN      ${leaf.subjectAltName.map((s) => `${s.type}:${s.value}`).join(', ')}`,
    `  EKU      ${leaf.extKeyUsage.map((o) => ekuName(o)).join(', ')}`,
    `  serial   ${leaf.serialNumber}`,
    `PKCS#12 re-opened with its password: key + ${opened.certificates.length} certificates`,
    result.ok
      ? `Chain verified: leaf -> issuing CA -> root at ${now.toISOString()}`
      : `Chain FAILED: ${result.problems.map((p) => `${p.code}: ${p.message}`).join('; ')}`,
    `Done in ${Date.now() - started} ms. For a whole simulated fleet run 'npm start' (certfleet run); see README.`,
  ];
  return { ok: result.ok, lines };
}
