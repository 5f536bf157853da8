/**
 * Issue 12 point 1 — no profile setting is read and ignored. This test walks every field the profile model
 * accepts (PROFILE_FIELDS, profiles/model/settings.ts) for every kind × family and asserts that each is
 * either **consumed** — changing it changes what a component acts on: the native payload the device
 * receives, the request the connector sends, or what the CA (found by the names the profile gives) does
 * with it — or **refused** with a coded error, or one of the few Graph metadata fields that reach no
 * component in a real tenant either (listed with why). A field added to the model without a row here fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadTopic } from '../../../protocol/wire/topics.ts';
import { compileProfile, resolveRequest, seededIds } from '../../../profiles/compile/index.ts';
import { unusedSettingsOf } from '../../../profiles/model/unused-settings.ts';
import { PROFILE_FAMILIES, type ProfileFamily } from '../../../profiles/model/platform.ts';
import type { CertificateProfile, ProfileKind } from '../../../profiles/model/profile.ts';
import { PROFILE_FIELDS } from '../../../profiles/model/settings.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { CaDirectory } from '../../../simulator/service/ca/ca-directory.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { issueForRequest } from '../../../simulator/service/compile/issue-for-device.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS, fixedIdentity, pkcsProfile, seededRandom, trustedProfile } from '../compile/fixtures.ts';
import { adaRecords, importedProfile, tenantKeyOf } from '../compile/imported-fixtures.ts';
import { deliverImportedPfx } from '../../../simulator/service/connector/pfx-connector.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
let base: string;
let ca: EnterpriseCa;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i12-settings-'));
  ca = await EnterpriseCa.init(join(base, 'ca'), {
    now: new Date(NOW.getTime() - 86_400_000),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  ca.configureTemplates({
    templates: [
      ...ca.templates().map((t) => t.template),
      {
        ...ca.templates()[0]!.template,
        name: 'OtherUser',
        displayName: 'OtherUser',
        oid: `${ca.templates()[0]!.template.oid}9`,
      },
    ],
    published: ['CertfleetUser', 'CertfleetDevice', 'OtherUser'],
  });
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const APPLE: readonly ProfileFamily[] = ['macos', 'ios'];

/**
 * Metadata: discriminants of the model, or admin-center text no component acts on in a real tenant either.
 * displayName and certFileName reach Apple payloads (PayloadDisplayName, PayloadCertificateFileName) and are
 * held to that there; elsewhere Intune shows them in the admin center only.
 */
function metadata(field: string, family: ProfileFamily): string | undefined {
  const always: Record<string, string> = {
    kind: 'the discriminant: it selects the profile type (trusted or PKCS), not a setting',
    family: 'the discriminant: it selects the platform and payload format, not a setting',
    id: 'the Graph entity id: the admin center’s key for the profile; Intune sends no part of it to a device',
    description: 'admin-center text; Intune sends no part of it to a device',
  };
  if (always[field] !== undefined) return always[field];
  if ((field === 'displayName' || field === 'certFileName') && !APPLE.includes(family))
    return 'admin-center text on this platform: the SyncML / Android policy carries no display name or file name';
  return undefined;
}

/** Another valid value per field (and, where the value depends on the family, per family). */
function variant(
  kind: ProfileKind,
  family: ProfileFamily,
  field: string,
): Record<string, unknown> | undefined {
  const v: Record<string, unknown> = {
    displayName: { displayName: 'Another name' },
    certificate: { certificate: new Uint8Array(otherRoot()) },
    certFileName: { certFileName: 'other-root.cer' },
    destinationStore: { destinationStore: 'computerCertStoreIntermediate' },
    deploymentChannel: {
      deploymentChannel: kind === 'pkcs-certificate' ? 'deviceChannel' : 'userChannel',
    },
    intendedPurpose: { intendedPurpose: 'smimeSigning' },
    renewalThresholdPercentage: { renewalThresholdPercentage: 35 },
    validity: { validity: { value: 30, unit: 'days' } },
    certificationAuthority: { certificationAuthority: 'ca09.certfleet.test' },
    certificationAuthorityName: { certificationAuthorityName: 'Contoso Issuing CA' },
    certificateTemplateName: { certificateTemplateName: 'OtherUser' },
    certificateType:
      family === 'android-device-admin'
        ? { certificateType: 'device' }
        : {
            certificateType: 'device',
            subjectNameFormatString: 'CN={{DeviceName}}',
            subjectAlternativeNameType: [],
          },
    subjectNameFormat:
      family === 'android-device-admin'
        ? { subjectNameFormat: 'commonNameAsEmail' }
        : { subjectNameFormat: 'commonName', subjectNameFormatString: undefined },
    subjectNameFormatString: { subjectNameFormatString: 'CN={{UserName}},O=Fabrikam' },
    subjectAlternativeNameType: { subjectAlternativeNameType: ['userPrincipalName'] },
    subjectAlternativeNameFormatString: {
      subjectAlternativeNameType: ['customAzureADAttribute'],
      subjectAlternativeNameFormatString: 'department',
    },
    customSubjectAlternativeNames: {
      customSubjectAlternativeNames: [{ sanType: 'domainNameService', name: '{{DeviceName}}.contoso.com' }],
    },
    keyStorageProvider: { keyStorageProvider: 'useSoftwareKsp' },
    extendedKeyUsages: {
      extendedKeyUsages: [{ name: 'Server Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.1' }],
    },
    allowAllAppsAccess: { allowAllAppsAccess: false },
    rootCertificateId: { rootCertificateId: 'another-root-profile' },
    certificateAccess: {
      certificateAccess:
        kind === 'pkcs-imported-certificate'
          ? { type: 'specificApps', packageIds: ['com.contoso.mail'] }
          : { type: 'userApproval' },
    },
    certificationAuthorityType: { certificationAuthorityType: 'digiCert' },
  };
  return v[field] as Record<string, unknown> | undefined;
}

function otherRoot(): Buffer {
  return ca.root.der; // a CA certificate other than the fixtures' root
}

/** What the components act on for this profile: device payload, connector/CA outcome. */
function observe(p: CertificateProfile): Promise<string> | string {
  const facts = FACTS[p.family];
  if (p.kind === 'pkcs-imported-certificate') {
    // the PFX connector picks the user's PFX by the profile's purpose; the device gets it in the PKCS wrapping
    const key = tenantKeyOf(poolKey('rsa2048', 4));
    const picked = deliverImportedPfx(
      adaRecords(key),
      key,
      'ada@contoso.com',
      p.intendedPurpose,
      fixedIdentity().root,
    );
    const c = compileProfile(p, facts, {
      ids: seededIds('t'),
      random: seededRandom('r'),
      issued: fixedIdentity(),
    });
    return JSON.stringify([picked.thumbprint, c.ok ? c.payload.bytes.toString('base64') : c.outcome.code]);
  }
  if (p.kind === 'trusted-certificate') {
    const c = compileProfile(p, facts, { ids: seededIds('t'), random: seededRandom('r') });
    return c.ok ? c.payload.bytes.toString('base64') : `compile:${c.outcome.code}`;
  }
  if (p.kind === 'scep-certificate')
    throw new Error('SCEP rows: test/unit/profiles-model/scep-model.test.ts');
  const r = resolveRequest(p, facts);
  if (!r.ok) return `resolve:${r.outcome.code}`;
  const c = compileProfile(p, facts, {
    ids: seededIds('t'),
    random: seededRandom('r'),
    issued: fixedIdentity(),
    request: r.request,
  });
  const payload = c.ok ? c.payload.bytes.toString('base64') : `compile:${c.outcome.code}`;
  // the renewal threshold travels to the device on the payload's topic, and the agent renews by it
  const topic = c.ok
    ? payloadTopic({
        tenant: 't',
        deviceId: 'd',
        format: c.payload.format,
        profileId: 'p',
        threshold: p.renewalThresholdPercentage,
      })
    : '';
  return atCa(r.request).then((caSide) => JSON.stringify([payload, topic, caSide]));
}

async function atCa(request: Parameters<typeof issueForRequest>[1]): Promise<unknown> {
  const found = CaDirectory.of(ca).find(request.ca, request.caName);
  if (!found.ok) return found.error.code;
  const r = await issueForRequest(found.ca, request, {
    requester: { identity: 'connector-1', groups: [CONNECTOR_GROUP] },
    password: 'pw',
    now: NOW,
    keyPair: poolKey('rsa2048', 3),
  });
  if (!r.ok) return r.outcome.code;
  const cert = r.issued.certificate;
  return [
    cert.subjectText,
    cert.notAfter.toISOString(),
    r.issued.record.template,
    JSON.stringify(cert.extensions ?? null),
  ];
}

function validated(kind: ProfileKind, family: ProfileFamily, extra: Record<string, unknown> = {}) {
  const base =
    kind === 'trusted-certificate'
      ? trustedProfile(family)
      : kind === 'pkcs-imported-certificate'
        ? importedProfile(family)
        : pkcsProfile(family);
  const input: Record<string, unknown> = { ...base, ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete input[k];
  return validateProfile(input);
}

// SCEP settings are held to account in test/unit/profiles-model/scep-model.test.ts: no device payload is
// built for them yet, so compilation refuses every SCEP profile with a code (nothing is delivered and ignored)
const ROWS = (Object.keys(PROFILE_FIELDS) as ProfileKind[])
  .filter((k) => k !== 'scep-certificate')
  .flatMap((kind) =>
    PROFILE_FAMILIES.flatMap((family) =>
      (PROFILE_FIELDS[kind][family] as readonly string[]).map((field) => ({ kind, family, field })),
    ),
  );

describe('issue 12 point 1: every profile setting is consumed, refused, or metadata no component reads', () => {
  it('walks every field of every kind × family', () => expect(ROWS.length).toBeGreaterThan(100));

  it.each(ROWS)('$kind/$family $field', async ({ kind, family, field }) => {
    if (metadata(field, family) !== undefined) return;
    const extra = variant(kind, family, field);
    expect(extra, `no variant for ${field}: add one (or the field is read and ignored)`).toBeDefined();
    const base = validated(kind, family);
    if (!base.ok) throw new Error(JSON.stringify(base.problems));
    const changed = validated(kind, family, extra);
    if (!changed.ok) {
      // refused: the model rejects the other value with a coded problem on this field
      expect(changed.problems.map((p) => [p.path.split(/[.[]/)[0], p.code])).toContainEqual([
        field,
        'PROFILE_INVALID',
      ]);
      return;
    }
    const unused = unusedSettingsOf(changed.value).filter((u) => u.path === field);
    const before = await observe(base.value);
    const after = await observe(changed.value);
    if (unused.length > 0) {
      // said to have no effect, with a code — and indeed nothing changes (the list cannot hide a used setting)
      expect(unused[0]!.code).toBe('PROFILE_SETTING_UNUSED');
      expect(unusedSettingsOf(base.value).filter((u) => u.path === field)).toEqual([]);
      expect(after).toBe(before);
      return;
    }
    expect(after, `${field} changes nothing a component acts on`).not.toBe(before);
  });

  it('Apple payloads carry displayName and certFileName (held to it above)', () => {
    expect(metadata('displayName', 'ios')).toBeUndefined();
    expect(metadata('certFileName', 'macos')).toBeUndefined();
  });
});
