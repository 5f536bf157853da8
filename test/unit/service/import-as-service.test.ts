/**
 * Issue 12 point 9, "import as the service does": a Graph profile the real Graph API accepts imports, its
 * problems as warnings carrying the code the run will fail with, and the run then fails where the tenant fails
 * (the connector, the service per device) with that code. Only what Graph itself refuses — unknown enum values,
 * wrong JSON types, missing required properties — is refused at import. Each rule is tested both ways: the
 * import warns, the run (real service, connectors and AD CS model, virtual clock) fails or issues as documented.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileImport } from '../../../simulator/tools/profile-commands.ts';
import { importGraphProfile } from '../../../profiles/graph/import-graph.ts';
import type { CertificateProfile } from '../../../profiles/model/profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { outcomeOf, toAll, world } from './harness.ts';

/** A Windows PKCS profile as a Graph export holds it (the shape of the Graph docs' example, our own values). */
function graphWindowsPkcs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.windows10PkcsCertificateProfile',
    displayName: 'Wi-Fi (imported)',
    renewalThresholdPercentage: 20,
    keyStorageProvider: 'useSoftwareKsp',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}}',
    subjectAlternativeNameType: 'userPrincipalName',
    certificateValidityPeriodValue: 1,
    certificateValidityPeriodScale: 'years',
    certificationAuthority: 'ca01.certfleet.test',
    certificationAuthorityName: 'Certfleet Issuing CA',
    certificateTemplateName: 'CertfleetUser',
    certificateStore: 'user',
    extendedKeyUsages: [],
    ...extra,
  };
}

function imported(json: Record<string, unknown>) {
  const r = importGraphProfile(json);
  if (!r.ok) throw new Error(r.error.message);
  return r;
}

/** Runs one Windows device with `profile` assigned; returns the service's outcome and the CA's records. */
async function runOne(profile: CertificateProfile) {
  const w = await world({ assignments: [toAll('p', profile)] });
  const d = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
  await w.run(5 * 60_000);
  // the CA's PKCS issuances (the management certificate made at enrollment uses no profile template)
  const records = w.ca
    .issuedRecords()
    .filter((x) => x.template === 'CertfleetUser' || x.template === 'CertfleetDevice');
  return { outcome: outcomeOf(w.service, d.id, 'p'), records };
}

describe('import as the service does: warnings at import, the documented failure at run time', () => {
  it('a placeholder CA string imports with CA_UNAVAILABLE and fails at the connector with 0x800706BA', async () => {
    const json = graphWindowsPkcs({ certificationAuthority: '<your CA server FQDN>' });
    // certfleet's own strict model still refuses it (an inline scenario profile is checked when written)
    const strict = validateProfile({
      ...imported(graphWindowsPkcs()).profile,
      certificationAuthority: '<x>',
    });
    expect(strict.ok).toBe(false);
    const r = imported(json);
    expect(r.warnings.map((w) => [w.path, w.code])).toEqual([['certificationAuthority', 'CA_UNAVAILABLE']]);
    expect(r.warnings[0]?.advice).toMatch(/0x800706BA/);
    const { outcome, records } = await runOne(r.profile);
    expect([outcome?.status, outcome?.code]).toEqual(['failed', 'CA_UNAVAILABLE']);
    expect(records).toHaveLength(0);
  });

  it('a user variable in a machine-store certificate imports with VARIABLE_NOT_ALLOWED and fails per device with it', async () => {
    const json = graphWindowsPkcs({
      certificateStore: 'machine',
      certificateTemplateName: 'CertfleetDevice',
      subjectNameFormatString: 'CN={{UserPrincipalName}}',
      subjectAlternativeNameType: 'none',
    });
    const r = imported(json);
    expect(r.warnings.map((w) => [w.path, w.code, w.variable])).toEqual([
      ['subjectNameFormatString', 'VARIABLE_NOT_ALLOWED', '{{UserPrincipalName}}'],
    ]);
    const { outcome, records } = await runOne(r.profile);
    expect([outcome?.status, outcome?.code]).toEqual(['failed', 'VARIABLE_NOT_ALLOWED']);
    expect(records).toHaveLength(0);
  });

  it('single braces {UserPrincipalName} import with TEMPLATE_MALFORMED and fail per device with it', async () => {
    const r = imported(graphWindowsPkcs({ subjectNameFormatString: 'CN={UserPrincipalName}' }));
    // one warning per stray brace, each with the code the run fails with
    expect(r.warnings.length).toBeGreaterThan(0);
    expect(new Set(r.warnings.map((w) => `${w.path}|${w.code}`))).toEqual(
      new Set(['subjectNameFormatString|TEMPLATE_MALFORMED']),
    );
    const { outcome } = await runOne(r.profile);
    expect([outcome?.status, outcome?.code]).toEqual(['failed', 'TEMPLATE_MALFORMED']);
  });

  it('a 2-day validity imports with PROFILE_ADVISORY and is issued for 2 days', async () => {
    const r = imported(
      graphWindowsPkcs({ certificateValidityPeriodValue: 2, certificateValidityPeriodScale: 'days' }),
    );
    expect(r.warnings.map((w) => [w.path, w.code])).toEqual([
      ['certificateValidityPeriodValue', 'PROFILE_ADVISORY'],
    ]);
    expect(r.profile.kind === 'pkcs-certificate' && r.profile.validity).toEqual({ value: 2, unit: 'days' });
    const { outcome, records } = await runOne(r.profile);
    expect(outcome?.status).toBe('installed');
    const rec = records.find((x) => x.template === 'CertfleetUser');
    expect(rec).toBeDefined();
    const days = (Date.parse(rec!.notAfter) - Date.parse(rec!.notBefore)) / 86_400_000;
    expect(days).toBeCloseTo(2, 1);
  });

  it('a clean profile imports without warnings', () => {
    expect(imported(graphWindowsPkcs()).warnings).toEqual([]);
  });
});

describe('what Graph itself refuses is still refused at import', () => {
  it.each([
    ['an unknown enum value', { keyStorageProvider: 'useQuantumKsp' }, 'keyStorageProvider'],
    ['a wrong JSON type', { renewalThresholdPercentage: '20' }, 'renewalThresholdPercentage'],
    ['a missing required property', { certificateTemplateName: undefined }, 'certificateTemplateName'],
    [
      'a validity of 0',
      { certificateValidityPeriodValue: 0, certificateValidityPeriodScale: 'days' },
      'certificateValidityPeriodValue',
    ],
  ])('%s → PROFILE_INVALID naming %s', (_what, extra, path) => {
    const r = importGraphProfile(graphWindowsPkcs(extra));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('PROFILE_INVALID');
    expect(r.problems.map((p) => p.path)).toContain(path);
  });
});

describe('profile import --json carries the warnings, and its output imports again', () => {
  it('the placeholder CA warning is in the JSON beside the model; read back, the same warning and profile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-import-svc-'));
    try {
      const graph = join(dir, 'graph.json');
      writeFileSync(graph, JSON.stringify(graphWindowsPkcs({ certificationAuthority: 'CA-SERVER-FQDN' })));
      const first = profileImport({ file: graph });
      const warnings = first.json.warnings as { path: string; code: string }[];
      expect(warnings.map((w) => [w.path, w.code])).toEqual([['certificationAuthority', 'CA_UNAVAILABLE']]);
      const model = join(dir, 'model.json');
      writeFileSync(model, JSON.stringify(first.json));
      const again = profileImport({ file: model });
      expect(again.format).toBe('certfleet');
      expect(again.profile).toEqual(first.profile);
      expect(again.warnings.map((w) => w.code)).toEqual(['CA_UNAVAILABLE']);
      expect(again.json).toEqual(first.json);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
