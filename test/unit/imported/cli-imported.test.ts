/**
 * `certfleet profile import|compile` with an imported-PKCS Graph export (issue 14 points 3 and 5), as a user
 * runs them (node bin/certfleet.mjs): import prints the kind, the purpose and the inherited properties that
 * have no effect; compile refuses with USAGE (an imported profile delivers a user's imported PFX, which only
 * a run has) and writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDeviceReport } from '../../../agent/device/index.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/certfleet.mjs');
let work: string;

const certfleet = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-cli-imported-'));
  writeFileSync(
    join(work, 'smime.json'),
    JSON.stringify({
      '@odata.type': '#microsoft.graph.windows10ImportedPFXCertificateProfile',
      displayName: 'Contoso S/MIME',
      intendedPurpose: 'smimeEncryption',
      keyStorageProvider: 'useSoftwareKsp',
      subjectNameFormat: 'commonNameAsEmail',
    }),
  );
  writeFileSync(
    join(work, 'pc.json'),
    JSON.stringify(newDeviceReport({ platform: 'windows', kind: 'entra-joined', seed: 'cli-imported' })),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('certfleet profile import|compile with an imported-PKCS profile', () => {
  it('import summarises it, with the inherited subject format as having no effect', () => {
    const r = certfleet(['profile', 'import', join(work, 'smime.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Contoso S/MIME — PKCS imported certificate profile for Windows 10 and later');
    expect(r.stdout).toMatch(/intended purpose\s+smimeEncryption/);
    expect(r.stdout).toMatch(/key storage\s+useSoftwareKsp/);
    expect(r.stdout).toMatch(/no effect\s+subjectNameFormat is inherited/);
  });

  it('compile refuses with USAGE and writes nothing', () => {
    const out = join(work, 'out.xml');
    const r = certfleet([
      'profile',
      'compile',
      '--profile',
      join(work, 'smime.json'),
      '--device',
      join(work, 'pc.json'),
      '--out',
      out,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error USAGE: "Contoso S\/MIME" is an imported-PKCS profile/);
    expect(existsSync(out)).toBe(false);
  });
});
