/**
 * `certfleet profile compile` on a SCEP profile (spawned as a user would): the challenge is required and
 * never printed; with `--ca` the Windows payload carries the root's thumbprint as CAThumbprint.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { REPO_ROOT } from '../../fixtures/conformance-files.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const BIN = join(REPO_ROOT, 'bin/certfleet.mjs');
function certfleet(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
let ca: EnterpriseCa;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-cli-'));
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: new Date(),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  writeFileSync(
    join(work, 'scep.json'),
    JSON.stringify({
      kind: 'scep-certificate',
      family: 'windows',
      displayName: 'VPN',
      subjectNameFormat: 'custom',
      subjectNameFormatString: 'CN={{UserName}}',
      scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
    }),
  );
  const dev = certfleet(['device', 'new', '--platform', 'windows', '--kind', 'hybrid-joined', '--json']);
  expect(dev.status).toBe(0);
  writeFileSync(join(work, 'pc.json'), dev.stdout);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('certfleet profile compile (SCEP)', () => {
  it('refuses without --challenge, with USAGE and what to give', () => {
    const r = certfleet([
      'profile',
      'compile',
      '--profile',
      join(work, 'scep.json'),
      '--device',
      join(work, 'pc.json'),
      '--out',
      join(work, 'x.xml'),
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/USAGE: --challenge is required: "VPN" is a SCEP profile/);
  });

  it('writes the ClientCertificateInstall/SCEP Atomic; the challenge is in the payload only', () => {
    const out = join(work, 'p.xml');
    const r = certfleet([
      'profile',
      'compile',
      '--profile',
      join(work, 'scep.json'),
      '--device',
      join(work, 'pc.json'),
      '--out',
      out,
      '--challenge',
      'Sekret-Challenge-42',
      '--ca',
      join(work, 'ca'),
      '--scep-url',
      'http://127.0.0.1:8080/scep',
    ]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout + r.stderr).not.toContain('Sekret-Challenge-42');
    const xml = readFileSync(out, 'utf8');
    expect(decodeSyncml(xml).ok).toBe(true);
    expect(xml).toContain('Sekret-Challenge-42');
    expect(xml).toContain(`<Data>${ca.root.sha1Thumbprint}</Data>`);
    expect(xml).toContain('<Data>http://127.0.0.1:8080/scep</Data>');
  });
});
