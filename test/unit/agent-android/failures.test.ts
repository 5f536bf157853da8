/**
 * Bad input on an Android device: deliver() never throws, answers with AMAPI non-compliance details, and a
 * refused command changes nothing in the store (issue 4 "Install and status"; docs/errors.md §3).
 */
import { describe, expect, it } from 'vitest';
import { androidAdapter } from '../../../agent/platforms/android/index.ts';
import { generateDevice } from '../../../agent/device/generate.ts';
import { decodeComplianceReport } from '../../../profiles/android/non-compliance.ts';
import type { AndroidEnrollmentKind } from '../../../profiles/model/platform.ts';
import {
  ALIAS,
  CLIENT_GUID,
  DAY,
  KINDS,
  NOW,
  ROOT_GUID,
  T0,
  YEAR,
  androidDevice,
  contextFor,
  hierarchy,
  itemsSnapshot,
  pkcs12Of,
  policyBytes,
  selfSignedCa,
  snapshot,
} from './fixtures.ts';

const h = hierarchy();
const PASSWORD = 'S3cr3t-Pa55word';
const expiredLeaf = hierarchy({ leafNotBefore: T0, leafNotAfter: new Date(T0.getTime() + DAY) });
const futureLeaf = hierarchy({
  leafNotBefore: new Date(T0.getTime() + 60 * DAY),
  leafNotAfter: new Date(T0.getTime() + YEAR),
});
const expiredRoot = selfSignedCa(4, new Date(T0.getTime() - YEAR), new Date(T0.getTime() + DAY));
const futureRoot = selfSignedCa(5, new Date(T0.getTime() + 60 * DAY), new Date(T0.getTime() + 2 * YEAR));

interface FailRow {
  name: string;
  payload: () => Buffer;
  code: string;
  reason: string;
  settingName: string;
  fieldPath?: string;
}

const kp = (pkcs12: Buffer): Buffer =>
  policyBytes({ keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12 }] });
const ca = (der: Buffer): Buffer => policyBytes({ cas: [{ guid: ROOT_GUID, der }] });

/** One row per refusal rule; each runs on every kind (device admin runs on Android 10 so CAs are allowed). */
const FAILS: FailRow[] = [
  {
    name: 'PKCS#12 with a non-empty passphrase (ONC requires empty)',
    payload: () => kp(pkcs12Of(h, PASSWORD)),
    code: 'PKCS12_BAD_PASSWORD',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].PKCS12',
  },
  {
    name: 'corrupt PKCS#12',
    payload: () => kp(Buffer.from('this is not a PKCS#12 at all, just text')),
    code: 'PKCS12_PARSE',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].PKCS12',
  },
  {
    name: 'truncated PKCS#12',
    payload: () => kp(pkcs12Of(h).subarray(0, 200)),
    code: 'PKCS12_PARSE',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].PKCS12',
  },
  {
    name: 'expired client certificate',
    payload: () => kp(pkcs12Of(expiredLeaf)),
    code: 'INSTALL_CERT_EXPIRED',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].PKCS12',
  },
  {
    name: 'client certificate not yet valid',
    payload: () => kp(pkcs12Of(futureLeaf)),
    code: 'INSTALL_CERT_EXPIRED',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].PKCS12',
  },
  {
    name: 'expired CA',
    payload: () => ca(expiredRoot.der),
    code: 'INSTALL_CERT_EXPIRED',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].X509',
  },
  {
    name: 'CA not yet valid',
    payload: () => ca(futureRoot.der),
    code: 'INSTALL_CERT_EXPIRED',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].X509',
  },
  {
    name: 'CA bytes that are not a certificate',
    payload: () => ca(Buffer.from('not DER')),
    code: 'CERT_PARSE',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].X509',
  },
  {
    name: 'JSON that does not parse',
    payload: () => Buffer.from('{"name": "enterprises/x/policies/y", '),
    code: 'ANDROID_POLICY_PARSE',
    reason: 'INVALID_VALUE',
    settingName: 'policy',
  },
  {
    name: 'a command naming a missing GUID',
    payload: () =>
      Buffer.from(
        JSON.stringify({
          name: 'enterprises/x/policies/y',
          openNetworkConfiguration: { Certificates: [] },
          certificateCommands: [{ type: 'INSTALL_CA_CERT', certificateGuid: 'MISSING' }],
        }),
      ),
    code: 'ANDROID_POLICY_INVALID',
    reason: 'INVALID_VALUE',
    settingName: 'certificateCommands',
    fieldPath: 'certificateCommands[0].certificateGuid',
  },
  {
    name: 'ONC Remove (AMAPI does not support it)',
    payload: () =>
      Buffer.from(
        JSON.stringify({
          openNetworkConfiguration: {
            Certificates: [{ GUID: 'A', Remove: true, Type: 'Authority', X509: 'AAAA' }],
          },
        }),
      ),
    code: 'ANDROID_POLICY_INVALID',
    reason: 'INVALID_VALUE',
    settingName: 'openNetworkConfiguration',
    fieldPath: 'openNetworkConfiguration.Certificates[0].Remove',
  },
];

const rows: [string, AndroidEnrollmentKind, FailRow][] = FAILS.flatMap((f) =>
  KINDS.map((k): [string, AndroidEnrollmentKind, FailRow] => [f.name, k, f]),
);

describe('refusals (every rule × every kind)', () => {
  it.each(rows)('%s on %s', (_name, kind, row) => {
    const ctx = contextFor(androidDevice(kind, { osVersion: '10' }));
    // Something already on the device, to show it survives.
    androidAdapter.deliver(
      ctx,
      policyBytes({ name: 'enterprises/x/policies/base', cas: [{ guid: ROOT_GUID, der: h.root.der }] }),
    );
    const before = snapshot(ctx);
    const beforeItems = itemsSnapshot(ctx);
    const result = androidAdapter.deliver(ctx, row.payload());
    expect(result.outcomes).toHaveLength(1);
    const [o] = result.outcomes;
    expect([o?.status, o?.code]).toEqual(['failed', row.code]);
    const expectedDetail = {
      settingName: row.settingName,
      nonComplianceReason: row.reason,
      ...(row.fieldPath !== undefined && { fieldPath: row.fieldPath }),
    };
    expect(o?.native).toEqual({ platform: 'android', nonCompliance: expectedDetail });
    expect(o?.path).toBe(row.fieldPath === undefined ? undefined : `$.${row.fieldPath}`);
    const report = decodeComplianceReport(result.reply);
    expect(report.ok && report.report.policyCompliant).toBe(false);
    expect(report.ok && report.report.nonComplianceDetails).toEqual([expectedDetail]);
    expect(itemsSnapshot(ctx)).toBe(beforeItems);
    // A policy that does not decode leaves no trace at all; a decoded one is recorded as applied, non-compliant.
    if (row.code.startsWith('ANDROID_POLICY')) expect(snapshot(ctx)).toBe(before);
    expect(o?.message).not.toContain(PASSWORD);
    expect(o?.message).not.toMatch(/PRIVATE KEY|MII[A-Za-z0-9+/]{20}/);
  });
});

describe.each(KINDS)('per-command atomicity on %s', (kind) => {
  it('installs the root beside a key pair whose PKCS#12 is refused; the key pair leaves no trace', () => {
    const ctx = contextFor(androidDevice(kind, { osVersion: '10' }));
    const result = androidAdapter.deliver(
      ctx,
      policyBytes({
        cas: [{ guid: ROOT_GUID, der: h.root.der }],
        keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: pkcs12Of(h, PASSWORD) }],
      }),
    );
    expect(result.outcomes.map((o) => [o.payload, o.code])).toEqual([
      [ROOT_GUID, 'OK'],
      [CLIENT_GUID, 'PKCS12_BAD_PASSWORD'],
    ]);
    expect(ctx.db.items(ctx.device.id).map((i) => i.kind)).toEqual(['certificate']);
    const report = decodeComplianceReport(result.reply);
    expect(report.ok && report.report.nonComplianceDetails.map((d) => d.fieldPath)).toEqual([
      'openNetworkConfiguration.Certificates[1].PKCS12',
    ]);
  });

  it('every failed outcome carries exactly the detail the report lists, in command order', () => {
    const ctx = contextFor(androidDevice(kind));
    const result = androidAdapter.deliver(
      ctx,
      policyBytes({
        cas: [{ guid: ROOT_GUID, der: expiredRoot.der }],
        keyPairs: [
          { guid: CLIENT_GUID, alias: ALIAS, pkcs12: Buffer.from('junk') },
          {
            guid: 'C2',
            alias: 'second',
            pkcs12: pkcs12Of(h),
            access: { type: 'SILENT', packages: ['com.example.vpn'] },
          },
        ],
      }),
    );
    const fromOutcomes = result.outcomes.flatMap((o) =>
      o.native.platform === 'android' && o.native.nonCompliance ? [o.native.nonCompliance] : [],
    );
    const report = decodeComplianceReport(result.reply);
    expect(report.ok && report.report.nonComplianceDetails).toEqual(fromOutcomes);
    expect(fromOutcomes.length).toBe(result.outcomes.filter((o) => o.status === 'failed').length);
  });
});

describe('a device that is not Android', () => {
  it('refuses the policy as DEVICE_INCOMPATIBLE and stores nothing', () => {
    const device = generateDevice({
      seed: 'agent-android',
      index: 999,
      platform: 'windows',
      kind: 'entra-joined',
    });
    const ctx = contextFor(device);
    const result = androidAdapter.deliver(ctx, ca(h.root.der), { profileId: 'p1' });
    expect(result.outcomes.map((o) => [o.payload, o.status, o.code])).toEqual([
      ['p1', 'failed', 'INSTALL_NOT_ALLOWED'],
    ]);
    expect(result.outcomes[0]?.native).toEqual({
      platform: 'android',
      nonCompliance: { settingName: 'policy', nonComplianceReason: 'DEVICE_INCOMPATIBLE' },
    });
    expect(ctx.db.items(device.id)).toEqual([]);
  });
});

describe('clock', () => {
  it('refuses a CA that expires before the device clock but accepts it earlier', () => {
    const early = contextFor(androidDevice('fully-managed'), new Date(T0.getTime() - 1000));
    const late = contextFor(androidDevice('fully-managed'), NOW);
    expect(androidAdapter.deliver(early, ca(expiredRoot.der)).outcomes[0]?.code).toBe('OK');
    expect(androidAdapter.deliver(late, ca(expiredRoot.der)).outcomes[0]?.code).toBe('INSTALL_CERT_EXPIRED');
  });
});
