/**
 * The CA folder: where an enterprise CA lives between commands and runs.
 *
 * ```
 * DIR/ca.json        settings, templates, published template names, CRL number (no secrets)
 * DIR/root.cer       root CA certificate, DER (what `certutil -ca.cert` gives an admin)
 * DIR/root.pem       the same, PEM
 * DIR/root.key       root CA private key, PKCS#8 PEM (mode 0600)
 * DIR/issuing.pem    issuing CA certificate, PEM (DIR/issuing.cer: DER)
 * DIR/issuing.key    issuing CA private key, PKCS#8 PEM (mode 0600)
 * DIR/issued.jsonl   the CA database as an append-only log: one line per issued certificate, one per revocation
 * ```
 * Every write goes to a temporary file first and is renamed into place, so a crash never leaves a
 * half-written file (docs/architecture.md house rule 7).
 */
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertfleetError } from '../../../pki/errors.ts';
import { makeFolder } from './make-folder.ts';
import type { CertificateTemplate } from './template.ts';

/** The file names inside a CA folder. */
export const CA_FILES = {
  config: 'ca.json',
  rootDer: 'root.cer',
  rootPem: 'root.pem',
  rootKey: 'root.key',
  issuingPem: 'issuing.pem',
  issuingDer: 'issuing.cer',
  issuingKey: 'issuing.key',
  issued: 'issued.jsonl',
} as const;

/** `ca.json`: the CA's settings. */
export interface CaConfig {
  format: 'certfleet-ca/1';
  /** Enterprise CAs use templates; standalone CAs refuse them. */
  kind: 'enterprise' | 'standalone';
  /** The CA's config string as Intune's certificationAuthority names it: `host\CA-Name`. */
  configString: string;
  /** CRL distribution point URL written into issued certificates. */
  crlUrl: string;
  templates: CertificateTemplate[];
  /** Names of the templates this CA publishes (a template may exist in AD without being published). */
  published: string[];
  nextCrlNumber: number;
}

/** One issued certificate (an `issued` line of `issued.jsonl`, folded with its revocation line). */
export interface IssuedRecord {
  serial: string;
  subject: string;
  template: string | null;
  requester: string;
  notBefore: string;
  notAfter: string;
  thumbprint: string;
  /** The MDM service's request id a connector submitted it for (policy-module.ts `requestId`). */
  requestId?: string;
  /** The issued certificate, DER in base64 (AD CS's RawCertificate), kept when `requestId` is. */
  certificate?: string;
  revoked?: { at: string; reason: string };
}

/** One line of `issued.jsonl`. Appending a line per event keeps issuance O(1) however many were issued. */
export type IssuedLogLine =
  | ({ type: 'issued' } & Omit<IssuedRecord, 'revoked'>)
  | { type: 'revoked'; serial: string; at: string; reason: string };

/** Appends lines to the issued log (one write; a crash leaves at most a torn last line, which reading skips). */
export function appendIssuedLog(dir: string, lines: readonly IssuedLogLine[]): void {
  appendFileSync(join(dir, CA_FILES.issued), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

/** Reads the issued log into records (revocations folded in); CA_CORRUPT on a bad line before the last. */
export function readIssuedLog(dir: string): IssuedRecord[] {
  const text = readCaFile(dir, CA_FILES.issued).toString('utf8');
  const lines = text.split('\n');
  const bySerial = new Map<string, IssuedRecord>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let entry: IssuedLogLine;
    try {
      entry = JSON.parse(line) as IssuedLogLine;
    } catch (cause) {
      if (i === lines.length - 1) return; // a torn last line: the write it belongs to never completed
      throw new CertfleetError(
        'CA_CORRUPT',
        `${join(dir, CA_FILES.issued)} line ${i + 1} is not valid JSON; re-create the CA with --force.`,
        {
          cause,
          details: { dir, file: CA_FILES.issued, line: i + 1 },
        },
      );
    }
    if (entry.type === 'issued') {
      const { type: _type, ...record } = entry;
      bySerial.set(record.serial, record);
    } else if (entry.type === 'revoked') {
      const r = bySerial.get(entry.serial);
      if (r) r.revoked = { at: entry.at, reason: entry.reason };
    }
  });
  return [...bySerial.values()];
}

/** Writes a file atomically (temp file + rename). */
export function writeAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

/** True when `dir` holds a CA (its ca.json exists). */
export function hasCa(dir: string): boolean {
  return existsSync(join(dir, CA_FILES.config));
}

/**
 * Prepares `dir` for a new CA: creates it (IO when it cannot be), refuses an existing CA unless `force`, in
 * which case its files are removed.
 */
export function prepareCaFolder(dir: string, force: boolean): void {
  if (hasCa(dir) && !force) {
    throw new CertfleetError(
      'CA_EXISTS',
      `A CA already exists in ${dir}. Use --force to replace it (its keys and issued records are lost).`,
      { details: { dir } },
    );
  }
  makeFolder(dir);
  for (const f of Object.values(CA_FILES)) rmSync(join(dir, f), { force: true });
  rmSync(join(dir, 'crl.der'), { force: true });
}

/** Reads a file of a CA folder, with a clear error when it is missing. */
export function readCaFile(dir: string, name: string): Buffer {
  const path = join(dir, name);
  if (!existsSync(path)) {
    if (!hasCa(dir)) {
      throw new CertfleetError(
        'CA_NOT_FOUND',
        `No CA in ${dir}: create one with 'certfleet ca init --dir ${dir}'.`,
        {
          details: { dir },
        },
      );
    }
    throw new CertfleetError('CA_CORRUPT', `The CA folder ${dir} lacks ${name}; re-create it with --force.`, {
      details: { dir, file: name },
    });
  }
  return readFileSync(path);
}

/** Reads and parses a JSON file of a CA folder. */
export function readCaJson<T>(dir: string, name: string): T {
  const text = readCaFile(dir, name).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new CertfleetError(
      'CA_CORRUPT',
      `${join(dir, name)} is not valid JSON; re-create the CA with --force.`,
      {
        cause,
        details: { dir, file: name },
      },
    );
  }
}
