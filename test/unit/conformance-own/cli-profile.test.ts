/**
 * Mirror of the conformance tests of test/unit/compile/cli-profile.test.ts that read the Graph corpus:
 * `certfleet profile import|compile` (spawned as a user would) on the project-made Graph exports.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDeviceReport } from '../../../agent/device/index.ts';
import type { Certificate } from '../../../pki/certificate.ts';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { REPO_ROOT } from '../../fixtures/conformance-files.ts';
import { OWN_GRAPH_DIR, ownRoot, trustedGraphExport } from './samples.ts';

const BIN = join(REPO_ROOT, 'bin/certfleet.mjs');
const MAC_PKCS = join(OWN_GRAPH_DIR, 'macos-pkcs.json');

function certfleet(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
let root: Certificate;
let macTrusted: string;
const file = (name: string): string => join(work, name);
const writeJson = (name: string, value: unknown): string => {
  writeFileSync(file(name), JSON.stringify(value, null, 2));
  return file(name);
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-own-cli-profile-'));
  root = ownRoot();
  macTrusted = writeJson(
    'mac-trusted.json',
    trustedGraphExport('macOSTrustedRootCertificate', root.der, { deploymentChannel: 'deviceChannel' }),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('certfleet profile import (project-made Graph exports)', () => {
  it('prints a readable summary of the macOS PKCS export', () => {
    const r = certfleet(['profile', 'import', MAC_PKCS]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(
      /PKCS certificate profile for macOS \(Graph #microsoft\.graph\.macOSPkcsCertificateProfile\)/,
    );
    expect(r.stdout).toMatch(/template\s+CertfleetMacUser/);
    expect(r.stdout).toMatch(/deployment channel\s+userChannel/);
  });

  it.each([
    ['the macOS PKCS export', () => MAC_PKCS],
    ['the macOS trusted-root export', () => macTrusted],
  ])('--json prints the model of %s, which imports again to the same model', (_n, path) => {
    const first = certfleet(['profile', 'import', path(), '--json']);
    expect([first.status, first.stderr]).toEqual([0, '']);
    const model = JSON.parse(first.stdout) as Record<string, unknown>;
    expect(model['family']).toBe('macos');
    const again = certfleet(['profile', 'import', writeJson('model.json', model), '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(model);
  });
});

describe('certfleet profile compile (project-made Graph exports)', () => {
  it('a trusted-root export needs no CA and writes the .mobileconfig a Mac receives, holding its DER', () => {
    const out = file('trusted.mobileconfig');
    const mac = writeJson(
      'mac.json',
      newDeviceReport({ seed: 'own-cli', platform: 'macos', kind: 'device' }),
    );
    const r = certfleet(['profile', 'compile', '--profile', macTrusted, '--device', mac, '--out', out]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const decoded = decodeMobileconfig(readFileSync(out), { platform: 'macos' });
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.profile.PayloadScope).toBe('System'); // deviceChannel
    const p = decoded.profile.PayloadContent[0];
    expect(p?.PayloadType).toBe('com.apple.security.root');
    expect(Buffer.from(p?.PayloadContent as Buffer).equals(Buffer.from(root.der))).toBe(true);
  });
});
