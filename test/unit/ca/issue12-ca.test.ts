/**
 * Issue 12 points 1–2, CA side: a validity longer than allowed is cut as AD CS cuts it (not denied), a
 * profile is served by the CA it names (a wrong FQDN or name is 0x800706BA at the connector), and a
 * template the CA lacks or does not publish is accepted at load and fails per request (0x80094800).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addValidity } from '../../../simulator/service/ca/template.ts';
import { CaDirectory, splitConfigString } from '../../../simulator/service/ca/ca-directory.ts';
import { EnterpriseCa, type IssueRequest } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
let base: string;
let ca: EnterpriseCa;
let shortCa: EnterpriseCa;

function request(over: Partial<IssueRequest> = {}): IssueRequest {
  return {
    template: 'CertfleetUser',
    requester: { identity: 'connector-1', groups: [CONNECTOR_GROUP] },
    subject: 'CN=Ada Lovelace,O=Contoso',
    publicKey: poolKey('rsa2048', 2).publicKey,
    serverSideKey: true,
    now: NOW,
    ...over,
  };
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i12-ca-'));
  const keys = { rootKey: poolKey('rsa2048', 0), issuingKey: poolKey('rsa2048', 1) };
  ca = await EnterpriseCa.init(join(base, 'a'), { now: NOW, ...keys });
  shortCa = await EnterpriseCa.init(join(base, 'b'), { now: NOW, issuingYears: 1, name: 'Short', ...keys });
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('issue 12: a validity longer than allowed is cut, not denied', () => {
  it('2 years on a 1-year template issues for the template’s year', () => {
    const issued = ca.issue(request({ validity: { value: 2, unit: 'years' } }));
    expect(issued.certificate.notAfter.toISOString()).toBe(
      addValidity(NOW, { value: 1, unit: 'years' }).toISOString(),
    );
  });

  it('a validity within the template is kept as asked', () => {
    const issued = ca.issue(request({ validity: { value: 30, unit: 'days' } }));
    expect(issued.certificate.notAfter.toISOString()).toBe('2026-07-01T12:00:00.000Z');
  });

  it('a certificate never outlives its issuing CA: cut to the CA’s remaining validity', () => {
    const late = new Date('2027-03-01T00:00:00Z');
    const issued = shortCa.issue(request({ now: late }));
    expect(issued.certificate.notAfter.getTime()).toBe(shortCa.issuing.notAfter.getTime());
    expect(issued.certificate.notAfter.getTime()).toBeLessThan(
      addValidity(late, { value: 1, unit: 'years' }).getTime(),
    );
  });
});

describe('issue 12: a profile is served by the CA it names', () => {
  const dir = (): CaDirectory =>
    new CaDirectory([
      { host: 'ca01.certfleet.test', name: 'Certfleet Issuing CA', ca },
      { host: 'ca02.certfleet.test', name: 'Short Issuing CA', ca: shortCa },
    ]);

  it.each([
    ['the FQDN', 'ca02.certfleet.test', 'Short Issuing CA'],
    ['the config string', 'CA02.certfleet.test\\Short Issuing CA', 'short issuing ca'],
  ])('by %s', (_n, authority, name) => {
    const r = dir().find(authority, name);
    expect(r.ok && r.ca).toBe(shortCa);
  });

  it('a one-CA directory is named by the CA’s own config string', () => {
    expect(splitConfigString(ca.configString)).toEqual({
      host: 'ca01.certfleet.test',
      name: 'Certfleet Issuing CA',
    });
    const r = CaDirectory.of(ca).find('ca01.certfleet.test', 'Certfleet Issuing CA');
    expect(r.ok && r.ca).toBe(ca);
  });

  it.each([
    ['a wrong FQDN', 'ca09.certfleet.test', 'Certfleet Issuing CA', /no CA runs on ca09\.certfleet\.test/],
    ['a wrong CA name', 'ca01.certfleet.test', 'Contoso CA', /runs no CA named 'Contoso CA'/],
    [
      'a config string naming the other CA',
      'ca01.certfleet.test\\Short Issuing CA',
      'Short Issuing CA',
      /runs no CA named/,
    ],
  ])('%s → CA_UNAVAILABLE, 0x800706BA', (_n, authority, name, why) => {
    const r = dir().find(authority, name);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('CA_UNAVAILABLE');
    expect(r.error.details).toMatchObject({ hresult: '0x800706BA', symbolic: 'RPC_S_SERVER_UNAVAILABLE' });
    expect(r.error.message).toMatch(why);
    expect(r.error.message).toContain(
      'ca01.certfleet.test\\Certfleet Issuing CA, ca02.certfleet.test\\Short Issuing CA',
    );
  });
});

describe('issue 12: a template the CA lacks or does not publish loads, and fails per request', () => {
  const scenario = (ca: string, template: string): string => `
name: t
fleet: { devices: 2, mix: [{ platform: windows, weight: 1 }] }
${ca}
profiles:
  - { name: P, type: pkcs, platforms: [windows], template: ${template}, certificateType: device, subject: 'CN={{DeviceName}}' }
`;

  it('a template the CA lacks is a warning, not a problem', () => {
    const s = loadScenario({ text: scenario('', 'NoSuchTemplate'), file: 't.yaml' });
    expect(s.warnings?.map((w) => w.message).join('\n')).toContain("the CA has no template 'NoSuchTemplate'");
  });

  it('published: false keeps the template and lists it as unpublished, with a warning', () => {
    const s = loadScenario({
      text: scenario(
        'ca: { templates: [{ name: Hidden, subjectType: device, published: false }] }',
        'Hidden',
      ),
      file: 't.yaml',
    });
    expect(
      s.ca.type === 'fresh' && [s.ca.templates.some((t) => t.name === 'Hidden'), s.ca.unpublished],
    ).toEqual([true, ['Hidden']]);
    expect(s.warnings?.map((w) => w.message).join('\n')).toContain("template 'Hidden' is not published");
  });

  it('the CA then answers each request with 0x80094800', () => {
    ca.configureTemplates({ published: ['CertfleetDevice'] });
    try {
      expect(() => ca.issue(request())).toThrow(/0x80094800/);
    } finally {
      ca.configureTemplates({ published: ['CertfleetUser', 'CertfleetDevice'] });
    }
  });
});
