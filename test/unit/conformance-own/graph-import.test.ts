/**
 * Mirror of the conformance tests on the Graph JSON corpus (test/unit/profiles-model/graph.test.ts "corpus
 * graph-json samples") with project-made Graph exports of EVERY supported `@odata.type`: the six PKCS types
 * hand-written in test/fixtures/conformance-own/graph/, the six trusted-root types built here around a root
 * made in the test. Each imports to the model with the values written, nothing ignored, and re-imports from
 * its own export to the same model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportGraphJson, exportGraphProfile } from '../../../profiles/graph/export-graph.ts';
import { importGraphProfile, importGraphProfileOrThrow } from '../../../profiles/graph/import-graph.ts';
import { findJsonSyntaxError } from '../../../profiles/graph/json-syntax.ts';
import { GRAPH_TYPE_NAMES, GRAPH_TYPE_OF, GRAPH_TYPES } from '../../../profiles/graph/odata-types.ts';
import { PROFILE_FAMILIES, type ProfileFamily } from '../../../profiles/model/platform.ts';
import type { Certificate } from '../../../pki/certificate.ts';
import { OWN_GRAPH_DIR, OWN_PKCS_EXPORTS, ownRoot, trustedGraphExport } from './samples.ts';
import { IMPORTED_EXPECTED, importedGraphExport } from './imported-samples.ts';
import { SCEP_EXPECTED, SCEP_GRAPH_FAMILIES, scepGraphExport } from './scep-samples.ts';

const text = (family: ProfileFamily): string =>
  readFileSync(join(OWN_GRAPH_DIR, OWN_PKCS_EXPORTS[family]), 'utf8');

/** What each hand-written PKCS export must import to (a subset of the model). */
const PKCS_EXPECTED: Record<ProfileFamily, Record<string, unknown>> = {
  macos: {
    id: '7d3c9a52-0c4e-4b8e-9a61-2f1d6c0e5b11',
    displayName: 'Certfleet own macOS PKCS',
    description: 'Written by the certfleet project for its conformance-own tests',
    certificationAuthority: 'ca01.certfleet.test\\Certfleet Issuing CA', // a CA config string, Host\CA-Name
    certificateTemplateName: 'CertfleetMacUser',
    validity: { value: 2, unit: 'years' },
    renewalThresholdPercentage: 25,
    certificateType: 'user',
    subjectNameFormat: 'commonNameIncludingEmail',
    subjectAlternativeNameType: ['emailAddress', 'userPrincipalName'],
    deploymentChannel: 'userChannel',
    allowAllAppsAccess: true,
  },
  ios: {
    // enums by number: appleSubjectNameFormat 2 = custom, SAN flags 3 = email + UPN, scale 1 = months, store 1 = user
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},OU=Mobile,O=Certfleet Test',
    subjectAlternativeNameType: ['emailAddress', 'userPrincipalName'],
    validity: { value: 6, unit: 'months' },
    certificateType: 'user',
    customSubjectAlternativeNames: [],
  },
  windows: {
    certificationAuthority: 'ca02.certfleet.test\\Certfleet Device CA',
    certificateType: 'device',
    validity: { value: 365, unit: 'days' },
    keyStorageProvider: 'useTpmKspOtherwiseUseSoftwareKsp',
    extendedKeyUsages: [{ name: 'Client Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.2' }],
    customSubjectAlternativeNames: [{ sanType: 'domainNameService', name: '{{FullyQualifiedDomainName}}' }],
  },
  'android-work-profile': {
    rootCertificateId: 'a1a1a1a1-0000-4000-8000-000000000001', // expanded relationship object
    subjectNameFormatString: 'CN={{UserPrincipalName}}',
    renewalThresholdPercentage: 30,
  },
  'android-device-owner': {
    rootCertificateId: 'b2b2b2b2-0000-4000-8000-000000000002', // bind URL, deviceConfigurations('<id>')
    certificateAccess: { type: 'specificApps', packageIds: ['test.certfleet.vpn', 'test.certfleet.mail'] },
    certificationAuthorityType: 'microsoft',
    certificateType: 'device',
    subjectAlternativeNameType: [],
  },
  'android-device-admin': {
    rootCertificateId: 'c3c3c3c3-0000-4000-8000-000000000003', // bind URL, deviceConfigurations/<id>
    subjectNameFormat: 'commonNameAsEmail',
    certificateType: 'user',
    subjectAlternativeNameType: ['emailAddress'],
  },
};

/** The trusted-root types' own properties, as the exports carry them. */
const TRUSTED_EXTRA: Partial<Record<ProfileFamily, Record<string, unknown>>> = {
  windows: { destinationStore: 'computerCertStoreIntermediate' },
  macos: { deploymentChannel: 'deviceChannel' },
};

let root: Certificate;
beforeAll(() => {
  root = ownRoot();
});
const trusted = (family: ProfileFamily) =>
  trustedGraphExport(GRAPH_TYPE_OF['trusted-certificate'][family], root.der, TRUSTED_EXTRA[family]);

describe('project-made Graph exports', () => {
  it('cover every supported @odata.type, each exactly once', () => {
    const pkcs = PROFILE_FAMILIES.map(
      (f) => (JSON.parse(text(f)) as { '@odata.type': string })['@odata.type'],
    );
    const roots = PROFILE_FAMILIES.map((f) => trusted(f)['@odata.type'] as string);
    const imported = PROFILE_FAMILIES.map((f) => importedGraphExport(f)['@odata.type'] as string);
    const scep = SCEP_GRAPH_FAMILIES.map((f) => scepGraphExport(f)['@odata.type'] as string);
    expect([...pkcs, ...roots, ...imported, ...scep].sort()).toEqual(
      GRAPH_TYPE_NAMES.map((n) => `#microsoft.graph.${n}`).sort(),
    );
  });

  describe.each(PROFILE_FAMILIES)('PKCS, family %s', (family) => {
    it('imports to the model with the values written, nothing ignored', () => {
      expect(findJsonSyntaxError(text(family))).toBeUndefined();
      const r = importGraphProfile(text(family));
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      if (!r.ok) return;
      expect(r.graphType).toBe(GRAPH_TYPE_OF['pkcs-certificate'][family]);
      expect([r.profile.kind, r.profile.family]).toEqual([
        GRAPH_TYPES[r.graphType].kind,
        GRAPH_TYPES[r.graphType].family,
      ]);
      expect([r.profile.kind, r.profile.family]).toEqual(['pkcs-certificate', family]);
      expect(r.profile).toMatchObject(PKCS_EXPECTED[family]);
      expect(r.ignored).toEqual([]);
      expect(r.warnings).toEqual([]);
    });

    it.each(['name', 'number'] as const)(
      're-imports its own export to the same model (enums by %s)',
      (enums) => {
        const first = importGraphProfileOrThrow(text(family));
        expect(importGraphProfileOrThrow(exportGraphJson(first))).toEqual(first);
        expect(importGraphProfileOrThrow(exportGraphProfile(first, { enums }))).toEqual(first);
      },
    );
  });

  it('the macOS export carries every SAN type, in order', () => {
    const p = importGraphProfileOrThrow(text('macos'));
    expect(p.kind === 'pkcs-certificate' && p.customSubjectAlternativeNames?.map((s) => s.sanType)).toEqual([
      'userPrincipalName',
      'emailAddress',
      'domainNameService',
      'universalResourceIdentifier',
      'customAzureADAttribute',
    ]);
  });

  describe.each(PROFILE_FAMILIES)('trusted root, family %s', (family) => {
    it('imports with exactly the DER it carries', () => {
      const json = JSON.stringify(trusted(family), null, 2);
      expect(findJsonSyntaxError(json)).toBeUndefined();
      const r = importGraphProfile(json);
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      if (!r.ok || r.profile.kind !== 'trusted-certificate') return;
      expect(r.graphType).toBe(GRAPH_TYPE_OF['trusted-certificate'][family]);
      expect(r.profile.family).toBe(family);
      expect(Buffer.from(r.profile.certificate).equals(Buffer.from(root.der))).toBe(true);
      expect(r.profile.certFileName).toBe('certfleet-own-root.cer');
      expect(r.profile.displayName).toBe(`Certfleet own root (${r.graphType})`);
      expect(r.profile).toMatchObject(TRUSTED_EXTRA[family] ?? {});
      expect(r.ignored).toEqual([]);
    });

    it('re-imports its own export to the same model', () => {
      const first = importGraphProfileOrThrow(trusted(family));
      expect(importGraphProfileOrThrow(exportGraphJson(first))).toEqual(first);
      expect(importGraphProfileOrThrow(exportGraphProfile(first, { enums: 'number' }))).toEqual(first);
    });
  });

  describe.each(PROFILE_FAMILIES)('imported PKCS, family %s', (family) => {
    it('imports with the values written, nothing ignored or unused', () => {
      const r = importGraphProfile(JSON.stringify(importedGraphExport(family), null, 2));
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      if (!r.ok) return;
      expect(r.graphType).toBe(GRAPH_TYPE_OF['pkcs-imported-certificate'][family]);
      expect([r.profile.kind, r.profile.family]).toEqual(['pkcs-imported-certificate', family]);
      expect(r.profile).toMatchObject(IMPORTED_EXPECTED[family]);
      expect([r.ignored, r.unused, r.warnings]).toEqual([[], [], []]);
    });

    it('re-imports its own export to the same model', () => {
      const first = importGraphProfileOrThrow(importedGraphExport(family));
      expect(importGraphProfileOrThrow(exportGraphJson(first))).toEqual(first);
      expect(importGraphProfileOrThrow(exportGraphProfile(first, { enums: 'number' }))).toEqual(first);
    });
  });

  it('the hand-written iOS SCEP export (expanded root, nulls) imports and re-imports from its own export', () => {
    const json = readFileSync(join(OWN_GRAPH_DIR, 'ios-scep.json'), 'utf8');
    expect(findJsonSyntaxError(json)).toBeUndefined();
    const r = importGraphProfile(json);
    expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
    if (!r.ok) return;
    expect(r.profile).toMatchObject({
      kind: 'scep-certificate',
      family: 'ios',
      subjectNameFormat: 'custom',
      subjectNameFormatString: 'CN={{UserName}},E={{EmailAddress}},O=Certfleet Test',
      subjectAlternativeNameType: ['userPrincipalName'],
      validity: { value: 2, unit: 'years' },
      keyUsage: ['keyEncipherment', 'digitalSignature'],
      keySize: 'size2048',
      rootCertificateId: 'a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
    });
    expect([r.ignored, r.warnings]).toEqual([[], []]);
    expect(r.unused.map((u) => u.path)).toEqual(['rootCertificate']);
    expect(importGraphProfileOrThrow(exportGraphJson(r.profile))).toEqual(r.profile);
  });

  describe.each(SCEP_GRAPH_FAMILIES)('SCEP, family %s', (family) => {
    it('imports with the values written, nothing ignored; only the root link annotation unused', () => {
      const r = importGraphProfile(JSON.stringify(scepGraphExport(family), null, 2));
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      if (!r.ok) return;
      expect(r.graphType).toBe(GRAPH_TYPE_OF['scep-certificate'][family]);
      expect([r.profile.kind, r.profile.family]).toEqual(['scep-certificate', family]);
      expect(r.profile).toMatchObject(SCEP_EXPECTED[family]);
      expect(r.profile.kind === 'scep-certificate' && r.profile.scepServerUrls).toHaveLength(2);
      expect(r.ignored).toEqual([]);
      expect(r.warnings).toEqual([]);
      // every export links its root; the link is read (rootCertificateId) and listed as not followed by a run
      expect(r.unused.map((u) => u.path).filter((p) => !p.startsWith('rootCertificate'))).toEqual([]);
    });

    it.each(['name', 'number'] as const)(
      're-imports its own export to the same model (enums by %s)',
      (enums) => {
        const first = importGraphProfileOrThrow(scepGraphExport(family));
        expect(importGraphProfileOrThrow(exportGraphJson(first))).toEqual(first);
        expect(importGraphProfileOrThrow(exportGraphProfile(first, { enums }))).toEqual(first);
      },
    );
  });
});
