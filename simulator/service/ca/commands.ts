/**
 * The operations behind `certfleet ca …`: each takes plain options, does the work, and returns what the
 * CLI prints. The CLI only parses arguments and calls these (docs/architecture.md house rule 8).
 */
import { join } from 'node:path';
import type { SanEntry } from '../../../pki/index.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { EnterpriseCa, type RevocationReason } from './enterprise-ca.ts';
import { CA_FILES } from './ca-folder.ts';
import { issuePfx } from './issue-pfx.ts';
import { reserveOutput } from './output-file.ts';
import { CONNECTOR_GROUP, type CertificateTemplate } from './template.ts';

/** The identity `ca issue` submits as when no `--requester` is given: a member of {@link CONNECTOR_GROUP}. */
export const DEFAULT_CLI_REQUESTER = 'certfleet-cli';

/**
 * The groups a CLI requester belongs to: the `--group` values when given; otherwise the connector group for
 * the default requester and none for any other identity, so that `--requester rogue` is checked against the
 * template's permissions on its own (and denied, as AD CS denies an identity missing from the ACL).
 */
export function cliRequesterGroups(requester: string, groups: readonly string[] | undefined): string[] {
  if (groups !== undefined) return [...groups];
  return requester === DEFAULT_CLI_REQUESTER ? [CONNECTOR_GROUP] : [];
}

/** A SAN as the command line gives it. */
export interface SanSpec {
  type: 'upn' | 'email' | 'dns' | 'uri';
  value: string;
}

function toSanEntry(s: SanSpec): SanEntry {
  return { type: s.type, value: s.value };
}

/** `ca init`: creates the CA and reports where its files are. */
export async function caInit(o: {
  dir: string;
  force: boolean;
  name: string;
  standalone: boolean;
  now?: Date;
  /** Encrypt the key files with this passphrase (from the variable `ca init --passphrase-env` names). */
  passphrase?: string;
}): Promise<{ ca: EnterpriseCa; summary: string }> {
  const ca = await EnterpriseCa.init(o.dir, {
    now: o.now ?? new Date(),
    force: o.force,
    name: o.name,
    kind: o.standalone ? 'standalone' : 'enterprise',
    ...(o.passphrase !== undefined && { passphrase: o.passphrase }),
  });
  const summary = [
    `Created ${ca.kind} CA '${ca.configString}' in ${o.dir}`,
    `  root CA     ${ca.root.subjectText}  (SHA-1 ${ca.root.sha1Thumbprint})`,
    `              ${join(o.dir, CA_FILES.rootDer)} (DER), ${join(o.dir, CA_FILES.rootPem)} (PEM)`,
    `  issuing CA  ${ca.issuing.subjectText}  (SHA-1 ${ca.issuing.sha1Thumbprint})`,
    `              ${join(o.dir, CA_FILES.issuingPem)}`,
    `  templates   ${
      ca.kind === 'standalone'
        ? '(none: standalone CA)'
        : ca
            .templates()
            .map((t) => t.template.name)
            .join(', ')
    }`,
    '',
  ].join('\n');
  return { ca, summary };
}

/** One template as `ca templates --json` prints it. */
export interface TemplateListing extends CertificateTemplate {
  published: boolean;
}

/** `ca templates`: the templates, as JSON-ready objects and as a text table. */
export function caTemplates(dir: string): { templates: TemplateListing[]; table: string } {
  const ca = EnterpriseCa.open(dir);
  if (ca.kind === 'standalone') {
    return { templates: [], table: 'No templates: this is a standalone CA; it issues without a template.\n' };
  }
  const templates = ca.templates().map(({ template, published }) => ({ ...template, published }));
  const rows = templates.map((t) => [
    t.name,
    t.displayName,
    t.subjectType,
    String(t.minimumKeySize),
    t.subjectSource === 'request' ? 'supplied in request' : 'from directory',
    t.allowPrivateKeyExport ? 'yes' : 'no',
    t.applicationPolicies.join('+'),
    `${t.validity.value} ${t.validity.unit}`,
    t.keyUsage.nonRepudiation ? 'yes' : 'no',
    t.published ? 'yes' : 'no',
  ]);
  const head = [
    'NAME',
    'DISPLAY NAME',
    'TYPE',
    'MIN KEY',
    'SUBJECT',
    'EXPORT',
    'APPLICATION POLICIES',
    'VALIDITY',
    'NON-REP',
    'PUBLISHED',
  ];
  return { templates, table: formatTable(head, rows) };
}

/** `ca issue`: server-side key + issuance + PKCS#12 written to `out`. Denials throw their CA error. */
export async function caIssue(o: {
  dir: string;
  /** Required by an enterprise CA; a standalone CA refuses one and issues with its defaults. */
  template?: string;
  subject: string;
  san: SanSpec[];
  keySize: number;
  legacy: boolean;
  password: string;
  requester: string;
  /** Groups of the requester (see {@link cliRequesterGroups}); absent = the default for `requester`. */
  groups?: readonly string[];
  out: string;
  now?: Date;
}): Promise<{ summary: string; serial: string }> {
  if (o.keySize !== 2048 && o.keySize !== 3072 && o.keySize !== 4096) {
    // A smaller key must still reach the CA to be denied by the template minimum, as a real CA would.
    if (o.keySize !== 1024) {
      throw new CertfleetError('USAGE', `--key-size ${o.keySize} is not one of 1024, 2048, 3072, 4096.`);
    }
  }
  const ca = EnterpriseCa.open(o.dir);
  const now = o.now ?? new Date();
  const requester = { identity: o.requester, groups: cliRequesterGroups(o.requester, o.groups) };
  // Reserve the output before issuing: an unwritable --out must not leave an issued record (docs/architecture.md house rule 7).
  const out = reserveOutput(o.out, 0o600);
  let issued: Awaited<ReturnType<typeof issuePfx>>;
  try {
    issued =
      o.keySize === 1024
        ? await issueWith1024(ca, o, requester, now)
        : await issuePfx(ca, {
            template: o.template,
            subject: o.subject,
            san: o.san.map(toSanEntry),
            keySize: o.keySize as 2048 | 3072 | 4096,
            legacy: o.legacy,
            password: o.password,
            requester,
            now,
          });
    out.commit(issued.pfx);
  } finally {
    out.abort();
  }
  const c = issued.certificate;
  const summary = [
    `Issued ${c.subjectText} ${o.template === undefined ? `with the ${ca.kind} CA's defaults (no template)` : `from template ${o.template}`}`,
    `  serial      ${c.serialNumber}`,
    `  thumbprint  ${c.sha1Thumbprint}`,
    `  valid       ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()}`,
    `  PKCS#12     ${o.out} (${o.legacy ? 'legacy 3DES/SHA-1' : 'AES-256/SHA-256'}; key, certificate and issuing CA)`,
    '',
  ].join('\n');
  return { summary, serial: c.serialNumber };
}

async function issueWith1024(
  ca: EnterpriseCa,
  o: { template?: string; subject: string; san: SanSpec[]; legacy: boolean; password: string },
  requester: { identity: string; groups: string[] },
  now: Date,
): Promise<Awaited<ReturnType<typeof issuePfx>>> {
  const { generateKeyPairSync } = await import('node:crypto');
  const keyPair = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return issuePfx(ca, {
    template: o.template,
    subject: o.subject,
    san: o.san.map(toSanEntry),
    keyPair,
    legacy: o.legacy,
    password: o.password,
    requester,
    now,
  });
}

/** `ca revoke`. */
export function caRevoke(o: { dir: string; serial: string; reason: RevocationReason; now?: Date }): {
  summary: string;
} {
  // a serial that is not hex is a typing error, not a serial the CA lacks (colons and spaces as certutil and
  // OpenSSL print serials are allowed)
  if (!/^[0-9A-Fa-f]+$/.test(o.serial.replace(/[:\s]/g, ''))) {
    throw new CertfleetError(
      'USAGE',
      `--serial '${o.serial}' is not a serial number: give its hex digits (as 'certfleet ca issue' prints it).`,
    );
  }
  const ca = EnterpriseCa.open(o.dir);
  const r = ca.revoke(o.serial, o.reason, o.now ?? new Date());
  return {
    summary: `Revoked ${r.serial} (${r.subject}) for ${o.reason}; publish a CRL with 'certfleet ca crl'.\n`,
  };
}

/** `ca crl`: writes a freshly signed CRL (DER) to `out`. */
export function caPublishCrl(o: { dir: string; out: string; now?: Date }): { summary: string } {
  const ca = EnterpriseCa.open(o.dir);
  // Reserve the output before the CRL number is used: a bad --out changes nothing (docs/architecture.md house rule 7).
  const out = reserveOutput(o.out);
  try {
    out.commit(ca.publishCrl(o.now ?? new Date()));
  } finally {
    out.abort();
  }
  const revoked = ca.issuedRecords().filter((r) => r.revoked).length;
  return { summary: `Wrote CRL with ${revoked} revoked certificate(s) to ${o.out}\n` };
}

/** Left-aligned text table. */
export function formatTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}
