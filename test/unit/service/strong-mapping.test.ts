/**
 * KB5014754 strong mapping at the connector (docs/formats.md §5.3): with the connector's SID setting on, a user
 * certificate carries the user's on-premises SID in 1.3.6.1.4.1.311.25.2 on every platform, a device
 * certificate carries the computer's SID on Windows only; a principal without a SID fails with
 * CONNECTOR_SID_UNAVAILABLE before the CA, which issues nothing. OpenSSL shows the extension.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OID_NTDS_CA_SECURITY_EXT, parseCertificate } from '../../../pki/index.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { issueForDevice } from '../../../simulator/service/compile/issue-for-device.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS, pkcsProfile } from '../compile/fixtures.ts';
import { openssl } from '../pki/openssl.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const requester = { identity: 'connector-01', groups: [CONNECTOR_GROUP] };
const USER_SID = FACTS.windows.attributes.userSid!;
const DEVICE_SID = FACTS.windows.attributes.deviceSid!;
let work: string;
let ca: EnterpriseCa;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-sid-'));
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: NOW,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const withUserSid = (facts: DeviceFacts, sid: string): DeviceFacts => ({
  ...facts,
  attributes: { ...facts.attributes, userSid: sid },
});
const cloudOnly = (facts: DeviceFacts): DeviceFacts => {
  const attributes = { ...facts.attributes };
  delete attributes.userSid;
  return { ...facts, attributes, absent: { ...facts.absent, userSid: 'not-synced' } };
};
const deviceProfile = (family: 'windows' | 'ios') =>
  pkcsProfile(family, {
    certificateType: 'device',
    certificateTemplateName: 'CertfleetDevice',
    subjectNameFormatString: 'CN={{SerialNumber}}',
    subjectAlternativeNameType: [],
  });
const issue = (
  profile: ReturnType<typeof pkcsProfile>,
  facts: DeviceFacts,
  sidSecurityExtension: boolean,
  key = 2,
) =>
  issueForDevice(ca, profile, facts, {
    requester,
    password: 'Pw-1',
    now: NOW,
    keyPair: poolKey('rsa2048', key),
    sidSecurityExtension,
  });

/** `openssl x509 -text` of a DER certificate. */
function opensslText(der: Buffer, name: string): string {
  const file = join(work, `${name}.pem`);
  writeFileSync(file, parseCertificate(der).pem);
  const r = openssl(['x509', '-in', file, '-noout', '-text']);
  expect(r.status).toBe(0);
  return r.stdout;
}

/** The SID extension's value as `openssl asn1parse -strparse` reads it: one `TYPE :value` per element. */
function opensslStructure(name: string): string[] {
  const file = join(work, `${name}.pem`);
  const all = openssl(['asn1parse', '-in', file]);
  const lines = all.stdout.split('\n');
  const oidLine = lines.findIndex((l) => l.endsWith(':1.3.6.1.4.1.311.25.2'));
  const offset = /^\s*(\d+):/.exec(lines[oidLine + 1] ?? '')?.[1];
  expect(offset).toBeDefined();
  const r = openssl(['asn1parse', '-in', file, '-strparse', offset!]);
  expect(r.status).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /(?:prim|cons): (.*)$/.exec(l)!;
      return m[1]!.replace(/\s+:/, ' :').replace(/\s+$/, '');
    });
}

describe('connector SID setting on: the SID extension (KB5014754)', () => {
  it.each([
    ['windows', USER_SID],
    ['ios', 'S-1-5-21-1004336348-1177238915-682003330-3301'],
    ['android-device-owner', 'S-1-5-21-1004336348-1177238915-682003330-3302'],
  ] as const)('a %s user certificate carries the user SID, and openssl shows it', async (family, sid) => {
    const r = await issue(pkcsProfile(family), withUserSid(FACTS[family], sid), true);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const cert = r.issued.certificate;
    expect(cert.extensions.securityIdentifier).toBe(sid);
    const raw = cert.extensions.raw.find((e) => e.oid === OID_NTDS_CA_SECURITY_EXT);
    expect(raw?.critical).toBe(false);
    const text = opensslText(cert.der, `user-${family}`);
    // OpenSSL has no name for the extension: it prints the OID, then the value with the SID string legible
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.trim() === '1.3.6.1.4.1.311.25.2:');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 3).join('')).toContain(sid);
    // …and OpenSSL's own ASN.1 parser reads the value as the otherName MS-WCCE defines
    expect(opensslStructure(`user-${family}`)).toEqual([
      'SEQUENCE',
      'cont [ 0 ]',
      'OBJECT :1.3.6.1.4.1.311.25.2.1',
      'cont [ 0 ]',
      `OCTET STRING :${sid}`,
    ]);
  });

  it('a Windows device certificate on a hybrid-joined PC carries the computer SID, not the user SID', async () => {
    const r = await issue(deviceProfile('windows'), FACTS.windows, true, 3);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.issued.certificate.extensions.securityIdentifier).toBe(DEVICE_SID);
    expect(opensslText(r.issued.certificate.der, 'device-windows')).toContain('1.3.6.1.4.1.311.25.2:');
  });

  it('an iOS device certificate is issued without the extension (device certificates: Windows only)', async () => {
    const r = await issue(deviceProfile('ios'), withUserSid(FACTS.ios, USER_SID), true, 4);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.issued.certificate.extensions.securityIdentifier).toBeUndefined();
    expect(opensslText(r.issued.certificate.der, 'device-ios')).not.toContain('1.3.6.1.4.1.311.25.2');
  });

  it.each([
    ['a cloud-only user', pkcsProfile('windows'), cloudOnly(FACTS.windows), 'user', 'cloud-only'],
    ['a cloud-only iOS user', pkcsProfile('ios'), cloudOnly(FACTS.ios), 'user', 'cloud-only'],
    [
      'an Entra-joined PC (device certificate)',
      deviceProfile('windows'),
      {
        ...FACTS.windows,
        enrollmentKind: 'entra-joined',
        attributes: { ...FACTS.windows.attributes, deviceSid: undefined },
        absent: { ...FACTS.windows.absent, deviceSid: 'not-hybrid-joined' },
      } satisfies DeviceFacts,
      'device',
      'not Microsoft Entra hybrid joined',
    ],
  ] as const)(
    '%s: CONNECTOR_SID_UNAVAILABLE before the CA, and nothing is issued',
    async (_what, profile, facts, principal, why) => {
      const before = ca.issuedRecords().length;
      const r = await issue(profile, facts, true, 5);
      expect(ca.issuedRecords().length).toBe(before);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.outcome.code).toBe('CONNECTOR_SID_UNAVAILABLE');
      expect(r.outcome.kind).toBe('CaDenied');
      if (r.outcome.kind !== 'CaDenied') return;
      expect(r.outcome.native).toMatchObject({ hresult: '0x80004003', symbolic: 'E_POINTER', principal });
      expect(r.outcome.message).toContain(why);
      expect(r.outcome.message).toContain('strong certificate mapping');
      expect(r.outcome.message).not.toContain('Pw-1');
    },
  );
});

describe('connector SID setting off (the default)', () => {
  it('issues without the extension, and a cloud-only user still gets a certificate', async () => {
    const a = await issue(pkcsProfile('windows'), FACTS.windows, false, 6);
    const b = await issue(pkcsProfile('windows'), cloudOnly(FACTS.windows), false, 7);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.issued.certificate.extensions.securityIdentifier).toBeUndefined();
    expect(b.issued.certificate.extensions.securityIdentifier).toBeUndefined();
    expect(a.issued.certificate.extensions.raw.map((e) => e.oid)).not.toContain(OID_NTDS_CA_SECURITY_EXT);
  });
});
