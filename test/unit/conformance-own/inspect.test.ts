/**
 * Mirror of the conformance test test/e2e/inspect.test.ts on project-made samples (samples.ts): `inspect`
 * (the function and the CLI) says what a fresh Apple device would install or refuse, with codes and key paths;
 * the root is accepted with its thumbprint, computed here independently (node:crypto and `openssl x509`).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPayload, type InspectReport } from '../../../agent/inspect.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import { REPO_ROOT } from '../../fixtures/conformance-files.ts';
import { pfxOf } from '../agent-apple/fixtures.ts';
import { makeHierarchy } from '../pki/hierarchy.ts';
import { OWN_ROOT, ownAppleSamples, PFX_PASSWORD, WRONG_PASSWORD, type OwnAppleSamples } from './samples.ts';

/** The keys of `inspect --json` (issue 12 point 8 added outcomes, answers, device and notes). */
const INSPECT_KEYS = [
  'answers',
  'device',
  'errors',
  'format',
  'items',
  'notes',
  'ok',
  'outcomes',
  'platform',
];

const clock = new FixedClock('2026-06-01T00:00:00Z');
let s: OwnAppleSamples;
let work: string;
beforeAll(() => {
  s = ownAppleSamples(pfxOf(makeHierarchy(), PFX_PASSWORD));
  work = mkdtempSync(join(tmpdir(), 'certfleet-own-inspect-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Row {
  name: string;
  bytes: () => Buffer;
  ok: boolean;
  items?: { kind: string; subject: string }[];
  errors: { code: string; path: string | RegExp; message?: RegExp }[];
}

const ROWS: Row[] = [
  {
    name: 'valid root',
    bytes: () => s.rootProfile,
    ok: true,
    items: [{ kind: 'root', subject: OWN_ROOT.subject }],
    errors: [],
  },
  {
    name: 'truncated pkcs1',
    bytes: () => s.truncated.profile,
    ok: false,
    errors: [{ code: 'CERT_PARSE', path: 'PayloadContent[0].PayloadContent', message: /truncated/ }],
  },
  {
    name: 'PEM with a non-ASCII byte',
    bytes: () => s.pemNonAscii.profile,
    ok: false,
    errors: [
      { code: 'CERT_PARSE', path: 'PayloadContent[0].PayloadContent', message: /non-ASCII byte 0x8A/ },
    ],
  },
  {
    name: 'pkcs12 with a bad top-level PayloadType and a wrong Password',
    bytes: () => s.pkcs12BadTypeAndPassword.profile,
    ok: false,
    errors: [
      { code: 'MOBILECONFIG_INVALID', path: 'PayloadType' },
      { code: 'PKCS12_BAD_PASSWORD', path: 'PayloadContent[0].Password', message: /is incorrect/ },
    ],
  },
  {
    name: 'SCEP',
    bytes: () => s.scep,
    ok: false,
    errors: [{ code: 'INSTALL_NOT_SIMULATED', path: 'PayloadContent[0].PayloadContent', message: /SCEP/ }],
  },
  ...(['root', 'pkcs12', 'pem', 'pkcs1'] as const).map((kind): Row => ({
    name: `${kind} template`,
    bytes: () => s.templates[kind],
    ok: false,
    errors: [
      { code: 'MOBILECONFIG_INVALID', path: 'PayloadContent[0].PayloadContent', message: /<data>/ },
      { code: 'MOBILECONFIG_INVALID', path: 'PayloadContent[0].PayloadUUID', message: /empty/ },
      { code: 'MOBILECONFIG_INVALID', path: 'PayloadVersion', message: /<integer>/ },
    ],
  })),
];

describe.each(['macos', 'ios'] as const)('inspect: project-made samples on a fresh %s device', (platform) => {
  it.each(ROWS)('$name', (row) => {
    const r = inspectPayload(row.bytes(), PLATFORM_ADAPTERS, { platform, clock });
    expect(r.format).toBe('mobileconfig');
    expect(r.platform).toBe(platform);
    expect(r.ok).toBe(row.ok);
    if (row.items) expect(r.items.map((i) => ({ kind: i.kind, subject: i.subject }))).toEqual(row.items);
    if (!row.ok) expect(r.items).toEqual([]); // a refused profile installs nothing
    expect(r.errors.map((e) => [e.code, e.path])).toEqual(row.errors.map((e) => [e.code, e.path]));
    row.errors.forEach((want, n) => {
      if (want.message) expect(r.errors[n]?.message).toMatch(want.message);
    });
    expect(JSON.stringify(r)).not.toContain(WRONG_PASSWORD); // secrets never appear in output
  });

  it('the root is trusted, has no warning, and its thumbprint is the SHA-1 of its DER', () => {
    const r = inspectPayload(s.rootProfile, PLATFORM_ADAPTERS, { platform, clock });
    expect(r.items).toEqual([
      expect.objectContaining({
        kind: 'root',
        trusted: true,
        issuer: OWN_ROOT.subject,
        store: platform === 'macos' ? 'macos/system' : 'ios/keychain',
        thumbprint: createHash('sha1').update(s.root.der).digest('hex').toUpperCase(),
      }),
    ]);
    expect(r.items[0]).not.toHaveProperty('warning');
  });
});

describe('certfleet inspect (CLI) on project-made samples', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [join(REPO_ROOT, 'bin/certfleet.mjs'), 'inspect', ...args], {
      encoding: 'utf8',
    });
  const write = (name: string, bytes: Buffer): string => {
    const path = join(work, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('prints one JSON object and exits 0 for the root; thumbprint as OpenSSL computes it', () => {
    const r = run([write('root.mobileconfig', s.rootProfile), '--json']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const json = JSON.parse(r.stdout) as InspectReport;
    expect(Object.keys(json).sort()).toEqual(INSPECT_KEYS);
    const fingerprint = spawnSync(
      'openssl',
      [
        'x509',
        '-inform',
        'DER',
        '-in',
        write('root.cer', Buffer.from(s.root.der)),
        '-noout',
        '-fingerprint',
        '-sha1',
      ],
      { encoding: 'utf8' },
    );
    expect(fingerprint.status).toBe(0);
    const sha1 = /Fingerprint=([0-9A-F:]+)/i.exec(fingerprint.stdout)?.[1]?.replace(/:/g, '').toUpperCase();
    expect(sha1).toMatch(/^[0-9A-F]{40}$/);
    expect(json.items).toHaveLength(1);
    expect(json.items[0]).toMatchObject({ kind: 'root', trusted: true, thumbprint: sha1 });
    expect(json.items[0]!.notAfter).toBe(OWN_ROOT.notAfter.toISOString());
  });

  it('exits 1 when the device would refuse, 2 on usage errors', () => {
    const refused = run([write('pkcs1.mobileconfig', s.truncated.profile), '--json', '--platform', 'ios']);
    expect(refused.status).toBe(1);
    expect((JSON.parse(refused.stdout) as InspectReport).errors[0]?.code).toBe('CERT_PARSE');
    const p12 = run([write('p12.mobileconfig', s.pkcs12Profile(WRONG_PASSWORD)), '--json']);
    expect(p12.status).toBe(1);
    expect((JSON.parse(p12.stdout) as InspectReport).errors).toEqual([
      expect.objectContaining({ code: 'PKCS12_BAD_PASSWORD', path: 'PayloadContent[0].Password' }),
    ]);
    expect(p12.stdout + p12.stderr).not.toContain(WRONG_PASSWORD);
    expect(run([write('root2.mobileconfig', s.rootProfile), '--platform', 'android']).status).toBe(2);
    // regression issue 13: a file that cannot be read is an input error (exit 3), not a usage error
    const missing = run([join(work, 'no-such.mobileconfig')]);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/^error IO: Cannot read .*no-such\.mobileconfig/m);
  });
});
