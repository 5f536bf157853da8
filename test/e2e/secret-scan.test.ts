/**
 * Issue 10 point 5: no secret a run made reaches its run folder or its console. A small fleet runs through
 * `runCommand` (what `certfleet run` calls) in this process, with pki/secret-witness.ts listening, so the
 * test knows every secret the run made — PFX passwords, private keys, the fleet secret, broker passwords,
 * the key-store key, the run CA's passphrase, the imported PFXs' passwords and keys and the tenant's PFX-import
 * key (issue 14 point 3) — and then scans every file of the run folder as bytes
 * (SQLite files included) and everything written to stdout and stderr for each of them in every form it
 * could take: text, UTF-16, hex, base64; keys as PKCS#8 DER, PEM body, PKCS#1 DER and their raw private
 * numbers.
 */
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchSecrets, type SecretKind, type SecretValue } from '../../pki/secret-witness.ts';
import { runCommand } from '../../simulator/fleet/run-command.ts';

const SCENARIO = `name: secret-scan
seed: secret-scan-1
duration: 2d
fleet:
  devices: 6
  mix:
    - { platform: windows, kind: entra-joined, weight: 1 }
    - { platform: macos, kind: device, weight: 1 }
    - { platform: android, kind: fully-managed, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: [windows, macos, android-device-owner]
    certificate: root
  - name: Device certificate
    type: pkcs
    platforms: [windows, macos, android-device-owner]
    template: CertfleetDevice
    certificateType: device
    subject: 'CN={{DeviceName}}'
  - name: S/MIME
    type: pkcs-imported
    platforms: [windows, macos, android-device-owner]
    purpose: smimeEncryption
importedPfx:
  - { purpose: smimeEncryption }
expect:
  - text: every device installs the root
    profile: Root
    status: installed
`;

interface Form {
  kind: SecretKind;
  /** Which encoding of the secret this is (for the failure message; never the secret itself). */
  form: string;
  bytes: Buffer;
}

/** Every form a secret could take in a file or on the console. */
function formsOf(kind: SecretKind, value: SecretValue): Form[] {
  const out: Form[] = [];
  const add = (form: string, bytes: Buffer): void => void out.push({ kind, form, bytes });
  if (typeof value === 'string') {
    add('text', Buffer.from(value, 'utf8'));
    add('UTF-16LE', Buffer.from(value, 'utf16le'));
    add('base64', Buffer.from(Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, '')));
  } else if (Buffer.isBuffer(value)) {
    add('raw', value);
    add('hex', Buffer.from(value.toString('hex')));
    add('HEX', Buffer.from(value.toString('hex').toUpperCase()));
    add('base64', Buffer.from(value.toString('base64').replace(/=+$/, '')));
    add('base64url', Buffer.from(value.toString('base64url')));
    if (value.every((b) => b >= 0x20 && b < 0x7f)) add('text', value); // a secret given as text
  } else {
    const key = value as KeyObject;
    const der = key.export({ type: 'pkcs8', format: 'der' });
    add('PKCS#8 DER', der);
    const pemBody = der.toString('base64');
    add('PKCS#8 PEM line', Buffer.from(pemBody.slice(64, 128)));
    if (key.asymmetricKeyType === 'rsa') {
      add('PKCS#1 DER', key.export({ type: 'pkcs1', format: 'der' }));
      add(
        'PKCS#1 PEM line',
        Buffer.from(key.export({ type: 'pkcs1', format: 'der' }).toString('base64').slice(64, 128)),
      );
    }
    const jwk = key.export({ format: 'jwk' });
    for (const part of ['d', 'p', 'q'] as const) {
      const v = jwk[part];
      if (typeof v !== 'string') continue;
      add(`private ${part}`, Buffer.from(v, 'base64url'));
      add(`private ${part} base64url`, Buffer.from(v));
    }
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-secret-scan-'));
  writeFileSync(join(work, 'scan.yaml'), SCENARIO);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('issue 10: secrets never reach a run folder or the console', () => {
  it(
    'a run: every secret it made is absent from every file (SQLite as bytes) and from stdout/stderr',
    { timeout: 240_000 },
    async () => {
      const secrets: { kind: SecretKind; value: SecretValue }[] = [];
      const stop = watchSecrets((kind, value) => void secrets.push({ kind, value }));
      let console = '';
      const write = {
        out: process.stdout.write.bind(process.stdout),
        err: process.stderr.write.bind(process.stderr),
      };
      const capture = (chunk: unknown): boolean => {
        console += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
        return true;
      };
      process.stdout.write = capture as typeof process.stdout.write;
      process.stderr.write = capture as typeof process.stderr.write;
      const out = join(work, 'run');
      let passed: boolean;
      try {
        ({ passed } = await runCommand({ scenario: join(work, 'scan.yaml'), out, json: false }));
      } finally {
        process.stdout.write = write.out;
        process.stderr.write = write.err;
        stop();
      }
      expect(passed).toBe(true);
      expect(console).toContain('Expectations: 1/1 held');

      // the run made secrets of every kind, and many of them
      const kinds = new Set(secrets.map((s) => s.kind));
      for (const k of [
        'pfx-password',
        'private-key',
        'fleet-secret',
        'broker-password',
        'store-key',
        'ca-passphrase',
      ] as const)
        expect(kinds, k).toContain(k);
      expect(secrets.filter((s) => s.kind === 'pfx-password').length).toBeGreaterThanOrEqual(6);
      expect(secrets.filter((s) => s.kind === 'private-key').length).toBeGreaterThan(6);

      const files = filesUnder(out);
      for (const f of ['report.json', 'junit.xml', 'report.html', 'run.db', 'agents.db', 'ca/issuing.key'])
        expect(files.map((p) => relative(out, p))).toContain(f);
      const contents = files.map((path) => ({ path: relative(out, path), bytes: readFileSync(path) }));
      contents.push({ path: '(console)', bytes: Buffer.from(console, 'utf8') });

      const leaks: string[] = [];
      let checked = 0;
      for (const s of secrets) {
        for (const f of formsOf(s.kind, s.value)) {
          if (f.bytes.length < 16) continue; // too short to be told from chance (no secret is this short)
          checked += 1;
          for (const c of contents)
            if (c.bytes.includes(f.bytes)) leaks.push(`${s.kind} (${f.form}) in ${c.path}`);
        }
      }
      expect(checked).toBeGreaterThan(100);
      expect(leaks).toEqual([]);
    },
  );

  it('the scan finds a secret when one is there (the scan itself works)', () => {
    const probe = formsOf('pfx-password', 'Kq8mZt3vXw9pLr2sNb7c');
    const file = Buffer.concat([
      Buffer.from('{"x":"'),
      Buffer.from('Kq8mZt3vXw9pLr2sNb7c'),
      Buffer.from('"}'),
    ]);
    expect(probe.some((f) => file.includes(f.bytes))).toBe(true);
  });
});
