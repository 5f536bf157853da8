/**
 * Issue 12 point 7, CA side: renewing the issuing CA with a new key leaves the certificates issued before
 * valid under the old issuing certificate, and every later one chains to the new one (checked by OpenSSL).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnterpriseCa, type IssueRequest } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import {
  bindCaIssuing,
  bindCaRoot,
  loadScenario,
  needsCaIssuing,
  needsCaRoot,
} from '../../../simulator/scenario/index.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { openssl } from '../pki/openssl.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const LATER = new Date('2026-07-01T12:00:00Z');
let base: string;

const request = (now: Date): IssueRequest => ({
  template: 'CertfleetUser',
  requester: { identity: 'connector-1', groups: [CONNECTOR_GROUP] },
  subject: 'CN=Ada Lovelace,O=Contoso',
  publicKey: poolKey('rsa2048', 2).publicKey,
  serverSideKey: true,
  now,
});

function verifies(dir: string, name: string, leafPem: string, intermediatePem: string): boolean {
  const leaf = join(dir, `${name}-leaf.pem`);
  const mid = join(dir, `${name}-mid.pem`);
  writeFileSync(leaf, leafPem);
  writeFileSync(mid, intermediatePem);
  const at = String(Math.floor(LATER.getTime() / 1000) + 3600);
  const r = openssl(['verify', '-attime', at, '-CAfile', join(dir, 'root.pem'), '-untrusted', mid, leaf]);
  return r.status === 0 && r.stdout.includes(': OK');
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i12-rollover-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('issue 12 point 7: issuing CA rollover', () => {
  it('old leaves stay valid under the old issuing CA, new ones chain to the new one only', async () => {
    const ca = await EnterpriseCa.init(join(base, 'ca'), {
      now: NOW,
      rootKey: poolKey('rsa2048', 0),
      issuingKey: poolKey('rsa2048', 1),
    });
    const before = ca.issue(request(NOW)).certificate;
    const oldIssuing = ca.issuing;
    const renewed = await ca.renewIssuing(LATER, { key: poolKey('rsa2048', 3) });
    const after = ca.issue(request(LATER)).certificate;

    expect(ca.issuing).toBe(renewed);
    expect(ca.previousIssuing).toEqual([oldIssuing]);
    expect(renewed.subjectText).toBe(oldIssuing.subjectText);
    expect(renewed.sha1Thumbprint).not.toBe(oldIssuing.sha1Thumbprint);
    expect(before.notAfter.getTime()).toBeGreaterThan(LATER.getTime()); // still valid after the rollover
    expect(verifies(ca.dir, 'old', before.pem, oldIssuing.pem)).toBe(true);
    expect(verifies(ca.dir, 'new', after.pem, renewed.pem)).toBe(true);
    expect(verifies(ca.dir, 'cross', after.pem, oldIssuing.pem)).toBe(false);
    // the folder keeps the old issuing certificate, and a reopened CA issues from the new one
    expect(EnterpriseCa.open(ca.dir).issuing.sha1Thumbprint).toBe(renewed.sha1Thumbprint);
  });

  it('a scenario schedules the rollover with renewIssuingCa: true', () => {
    const s = loadScenario({
      text: 'duration: 30d\nfleet: { devices: 1 }\nactions:\n  - { at: 10d, renewIssuingCa: true }\n',
      file: 'r.yaml',
    });
    expect(s.actions).toEqual([{ type: 'renew-issuing-ca', atMs: 10 * 86_400_000, line: 4 }]);
  });
});

describe('issue 12 point 7: the scenario names the new intermediate', () => {
  const head = 'duration: 40d\nfleet: { devices: 1 }\n';
  const issuingProfile =
    'profiles:\n  - { name: Issuing CA, type: trusted-certificate, platforms: [windows], certificate: issuing }\n' +
    '  - { name: Root, type: trusted-certificate, platforms: [windows], certificate: root }\n';
  const problemsOf = (text: string): string[] => {
    try {
      loadScenario({ text, file: 'r.yaml' });
      return [];
    } catch (e) {
      return String((e as Error).message).split('\n');
    }
  };

  it('certificate: issuing is bound to the issuing CA current at the start, apart from the root', () => {
    const s = loadScenario({ text: head + issuingProfile, file: 'r.yaml' });
    const issuing = s.profiles.find((p) => p.name === 'Issuing CA')!;
    expect(issuing.trustedSource).toEqual({ type: 'ca-issuing' });
    expect(needsCaIssuing(s)).toBe(true);
    expect(needsCaRoot(bindCaRoot(s, Uint8Array.of(0x30, 0)))).toBe(false); // the root's binding leaves it
    const der = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x07);
    const bound = bindCaIssuing(s, der);
    const model = bound.profiles.find((p) => p.name === 'Issuing CA')!.models.windows;
    expect(model?.kind === 'trusted-certificate' && Buffer.from(model.certificate)).toEqual(Buffer.from(der));
    const rootModel = bound.profiles.find((p) => p.name === 'Root')!.models.windows;
    expect(rootModel?.kind === 'trusted-certificate' && Buffer.from(rootModel.certificate)).not.toEqual(
      Buffer.from(der),
    );
  });

  it('uploadIssuingCa names a trusted profile with certificate: issuing', () => {
    const s = loadScenario({
      text:
        head +
        issuingProfile +
        'actions:\n  - { at: 10d, renewIssuingCa: true }\n  - { at: 20d, uploadIssuingCa: Issuing CA }\n',
      file: 'r.yaml',
    });
    expect(s.actions).toEqual([
      { type: 'renew-issuing-ca', atMs: 10 * 86_400_000, line: 7 },
      { type: 'upload-issuing-ca', atMs: 20 * 86_400_000, line: 8, profile: 'Issuing CA' },
    ]);
    expect(
      problemsOf(head + issuingProfile + 'actions:\n  - { at: 20d, uploadIssuingCa: Root }\n').join('\n'),
    ).toContain('"Root" is not a trusted-certificate profile with certificate: issuing');
    expect(
      problemsOf(head + issuingProfile + 'actions:\n  - { at: 20d, uploadIssuingCa: Nope }\n').join('\n'),
    ).toMatch(/Nope/);
  });

  it('connectors.pfxChain takes issuing or leaf, and refuses anything else', () => {
    expect(
      loadScenario({ text: head + 'connectors: { pfxChain: leaf }\n', file: 'r.yaml' }).connectors.pfxChain,
    ).toBe('leaf');
    expect(loadScenario({ text: head, file: 'r.yaml' }).connectors.pfxChain).toBeUndefined();
    expect(problemsOf(head + 'connectors: { pfxChain: full }\n').join('\n')).toMatch(/connectors\.pfxChain/);
  });
});
