/**
 * The demo `npm start` runs until the fleet simulator exists: create a CA, issue a user certificate from
 * the CertfleetUser template with a server-side key (as a PKCS connector does), open the PKCS#12 again,
 * and verify its chain to the root at the current time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ekuName, parseCertificate, verifyChain } from '../pki/index.ts';
import { parsePkcs12 } from '../pki/pkcs12.ts';
import { EnterpriseCa } from './service/ca/enterprise-ca.ts';
import { issuePfx } from './service/ca/issue-pfx.ts';
import { CONNECTOR_GROUP } from './service/ca/template.ts';

/** Runs the demo and returns its report lines; `ok` is false when the chain does not verify. */
export async function runDemo(
  o: { dir?: string; now?: Date } = {},
): Promise<{ ok: boolean; lines: string[] }> {
  const now = o.now ?? new Date();
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'certfleet-demo-'));
  const started = Date.now();
  const ca = await EnterpriseCa.init(dir, { now, force: true });
  const password = 'demo-only-password';
  const issued = await issuePfx(ca, {
    template: 'CertfleetUser',
    subject: 'CN=Ada Lovelace,OU=Engineering,O=Contoso',
    san: [
      { type: 'upn', value: 'ada@contoso.com' },
      { type: 'email', value: 'ada@contoso.com' },
    ],
    password,
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
    `CA created in ${dir}`,
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
    `Done in ${Date.now() - started} ms. The fleet simulator is not built yet; see README.`,
  ];
  return { ok: result.ok, lines };
}
