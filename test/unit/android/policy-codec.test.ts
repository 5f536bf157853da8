import { describe, expect, it } from 'vitest';
import { parseJsonStrict } from '../../../profiles/android/json-strict.ts';
import {
  decodeComplianceReport,
  encodeComplianceReport,
  type AndroidComplianceReport,
} from '../../../profiles/android/non-compliance.ts';
import { decodeAndroidPolicy, encodeAndroidPolicy } from '../../../profiles/android/policy-codec.ts';
import type { AndroidPolicy } from '../../../profiles/android/policy-model.ts';
import { golden as goldenFile } from '../../fixtures/golden.ts';

const golden = (name: string, actual: Buffer): string => goldenFile('android', name, actual).toString('utf8');

const ROOT_GUID = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
const CLIENT_GUID = 'B1E3C4A2-7D6F-4E8A-9C0B-1A2B3C4D5E6F';
const ROOT_DER = Buffer.from('certfleet-test-root-ca-der');
const PFX = Buffer.from('certfleet-test-pfx-blob-empty-passphrase');
const base = { name: 'enterprises/LC00000000/policies/certfleet-0001', version: '3' };

const trustedRoot: AndroidPolicy = {
  ...base,
  openNetworkConfiguration: {
    Type: 'UnencryptedConfiguration',
    Certificates: [{ GUID: ROOT_GUID, Type: 'Authority', X509: ROOT_DER }],
  },
  certificateCommands: [{ type: 'INSTALL_CA_CERT', certificateGuid: ROOT_GUID }],
};

function pkcs(
  access: NonNullable<AndroidPolicy['certificateCommands']>[number] extends infer C
    ? C extends { access: infer A }
      ? A
      : never
    : never,
): AndroidPolicy {
  return {
    ...base,
    privateKeySelectionEnabled: false,
    openNetworkConfiguration: {
      Certificates: [
        { GUID: ROOT_GUID, Type: 'Authority', X509: ROOT_DER },
        { GUID: CLIENT_GUID, Type: 'Client', PKCS12: PFX },
      ],
    },
    certificateCommands: [
      { type: 'INSTALL_KEY_PAIR', alias: 'certfleet-pkcs-0001', pkcs12Guid: CLIENT_GUID, access },
    ],
  };
}

const goldenCases: [string, AndroidPolicy][] = [
  ['trusted-root.json', trustedRoot],
  ['pkcs-user-approval.json', pkcs({ type: 'USER_APPROVAL' })],
  ['pkcs-silent.json', pkcs({ type: 'SILENT', packages: ['com.microsoft.emmx', 'com.example.vpn'] })],
];

describe.each(goldenCases)('Android policy %s', (file, policy) => {
  const bytes = encodeAndroidPolicy(policy);
  it('matches its golden file (2-space JSON, trailing newline)', () => {
    expect(bytes.toString()).toBe(golden(file, bytes));
    expect(bytes.toString().endsWith('}\n')).toBe(true);
  });
  it('decode(encode(x)) equals x, without notes', () => {
    const r = decodeAndroidPolicy(bytes);
    expect(r.ok ? [r.policy, r.notes] : r.problems.map((p) => p.message)).toEqual([policy, []]);
    expect(r.raw.equals(bytes)).toBe(true);
  });
});

describe('Android policy round trips', () => {
  it.each<[string, AndroidPolicy]>([
    ['empty policy', {}],
    [
      'Server certificate and opaque NetworkConfigurations',
      {
        openNetworkConfiguration: {
          NetworkConfigurations: [{ GUID: 'wifi-1', Name: 'Corp', Type: 'WiFi' }],
          Certificates: [{ GUID: 's1', Type: 'Server', X509: Buffer.from([1, 2, 3]) }],
        },
      },
    ],
  ])('%s', (_n, policy) => {
    const r = decodeAndroidPolicy(encodeAndroidPolicy(policy));
    expect(r.ok && r.policy).toEqual(policy);
  });

  it('is deterministic whatever order the input keys were in', () => {
    const shuffled = {
      certificateCommands: trustedRoot.certificateCommands,
      openNetworkConfiguration: trustedRoot.openNetworkConfiguration,
      version: '3',
      name: base.name,
    };
    expect(encodeAndroidPolicy(shuffled).equals(encodeAndroidPolicy(trustedRoot))).toBe(true);
  });
});

const b64 = ROOT_DER.toString('base64');
const p12 = PFX.toString('base64');
const onc = (certs: unknown[], commands?: unknown[]): string =>
  JSON.stringify({
    openNetworkConfiguration: { Certificates: certs },
    ...(commands === undefined ? {} : { certificateCommands: commands }),
  });
const auth = { GUID: ROOT_GUID, Type: 'Authority', X509: b64 };
const client = { GUID: CLIENT_GUID, Type: 'Client', PKCS12: p12 };
const keyPair = (access: unknown, guid = CLIENT_GUID): unknown => ({
  type: 'INSTALL_KEY_PAIR',
  alias: 'a',
  pkcs12Guid: guid,
  access,
});
const pkgs = (n: number): string[] => Array.from({ length: n }, (_, i) => `com.example.app${i}`);

/** [name, json, path, message pattern] */
const invalid: [string, string, string, RegExp][] = [
  [
    'missing GUID',
    onc([{ Type: 'Authority', X509: b64 }]),
    '$.openNetworkConfiguration.Certificates[0].GUID',
    /required/,
  ],
  [
    'Client without PKCS12',
    onc([{ GUID: 'c', Type: 'Client', X509: b64 }]),
    '$.openNetworkConfiguration.Certificates[0].PKCS12',
    /needs "PKCS12"/,
  ],
  [
    'Authority without X509',
    onc([{ GUID: 'a', Type: 'Authority' }]),
    '$.openNetworkConfiguration.Certificates[0].X509',
    /needs "X509"/,
  ],
  [
    'Authority with PKCS12',
    onc([{ ...auth, PKCS12: p12 }]),
    '$.openNetworkConfiguration.Certificates[0].PKCS12',
    /not PKCS12/,
  ],
  [
    'unknown Type',
    onc([{ GUID: 'x', Type: 'Intermediate', X509: b64 }]),
    '$.openNetworkConfiguration.Certificates[0].Type',
    /unknown certificate Type/,
  ],
  [
    'missing Type',
    onc([{ GUID: 'x', X509: b64 }]),
    '$.openNetworkConfiguration.Certificates[0].Type',
    /required/,
  ],
  [
    'Remove (AMAPI does not support it)',
    onc([{ GUID: ROOT_GUID, Remove: true }]),
    '$.openNetworkConfiguration.Certificates[0].Remove',
    /does not support "Remove"/,
  ],
  [
    'PEM-armoured X509',
    onc([{ ...auth, X509: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----` }]),
    '$.openNetworkConfiguration.Certificates[0].X509',
    /not valid base64/,
  ],
  [
    'invalid base64 PKCS12',
    onc([{ ...client, PKCS12: 'abc' }]),
    '$.openNetworkConfiguration.Certificates[0].PKCS12',
    /not valid base64/,
  ],
  [
    'duplicate GUID',
    onc([auth, { ...auth }]),
    '$.openNetworkConfiguration.Certificates[1].GUID',
    /used twice/,
  ],
  [
    'passphrase key (ONC: must be empty, no such field)',
    onc([{ ...client, Passphrase: 'x' }]),
    '$.openNetworkConfiguration.Certificates[0].Passphrase',
    /unknown key/,
  ],
  [
    'SILENT with no packages',
    onc([client], [keyPair({ type: 'SILENT', packages: [] })]),
    '$.certificateCommands[0].access.packages',
    /at least one/,
  ],
  [
    'SILENT without packages key',
    onc([client], [keyPair({ type: 'SILENT' })]),
    '$.certificateCommands[0].access.packages',
    /at least one/,
  ],
  [
    'SILENT with 51 packages',
    onc([client], [keyPair({ type: 'SILENT', packages: pkgs(51) })]),
    '$.certificateCommands[0].access.packages',
    /at most 50/,
  ],
  [
    'SILENT with a bad package name',
    onc([client], [keyPair({ type: 'SILENT', packages: ['not a package'] })]),
    '$.certificateCommands[0].access.packages[0]',
    /not an Android package/,
  ],
  [
    'USER_APPROVAL with packages',
    onc([client], [keyPair({ type: 'USER_APPROVAL', packages: ['com.a.b'] })]),
    '$.certificateCommands[0].access.packages',
    /takes no packages/,
  ],
  [
    'unknown access type',
    onc([client], [keyPair({ type: 'ALWAYS' })]),
    '$.certificateCommands[0].access.type',
    /unknown access type/,
  ],
  [
    'key pair referring to a missing GUID',
    onc([client], [keyPair({ type: 'USER_APPROVAL' }, 'nope')]),
    '$.certificateCommands[0].pkcs12Guid',
    /no certificate with GUID "nope"/,
  ],
  [
    'key pair referring to an Authority',
    onc([auth], [keyPair({ type: 'USER_APPROVAL' }, ROOT_GUID)]),
    '$.certificateCommands[0].pkcs12Guid',
    /needs a Client/,
  ],
  [
    'CA install referring to a Client',
    onc([client], [{ type: 'INSTALL_CA_CERT', certificateGuid: CLIENT_GUID }]),
    '$.certificateCommands[0].certificateGuid',
    /Authority or Server/,
  ],
  [
    'unknown command',
    onc([client], [{ type: 'REMOVE_KEY_PAIR', alias: 'a' }]),
    '$.certificateCommands[0].type',
    /unknown command type/,
  ],
  [
    'ONC Type other than UnencryptedConfiguration',
    JSON.stringify({ openNetworkConfiguration: { Type: 'EncryptedConfiguration', Certificates: [] } }),
    '$.openNetworkConfiguration.Type',
    /UnencryptedConfiguration/,
  ],
  ['unknown policy key', JSON.stringify({ applications: [] }), '$.applications', /unknown key/],
  ['version as a number', JSON.stringify({ version: 3 }), '$.version', /int64 string/],
  ['policy not an object', '[]', '$', /JSON object/],
];

describe('decodeAndroidPolicy: schema errors → ANDROID_POLICY_INVALID with a JSON path', () => {
  it.each(invalid)('%s', (_n, json, path, pattern) => {
    const r = decodeAndroidPolicy(json);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.every((p) => p.code === 'ANDROID_POLICY_INVALID')).toBe(true);
    const hit = r.problems.find((p) => p.details.path === path);
    expect(hit, r.problems.map((p) => p.message).join('\n')).toBeDefined();
    expect(hit!.message).toMatch(pattern);
    expect(r.raw.toString()).toBe(json);
  });

  it('accepts exactly 50 silent packages', () => {
    expect(decodeAndroidPolicy(onc([client], [keyPair({ type: 'SILENT', packages: pkgs(50) })])).ok).toBe(
      true,
    );
  });
});

/** [name, text, line, column] */
const notJson: [string, string, number, number][] = [
  ['trailing comma', '{\n  "name": "x",\n}', 3, 1],
  ['bad literal', '{"privateKeySelectionEnabled": tru}', 1, 32],
  ['empty input', '', 1, 1],
  ['trailing content', '{}\n{}', 2, 1],
  ['duplicate key (JSON.parse would keep the last)', '{\n  "name": "a",\n  "name": "b"\n}', 3, 3],
  ['unterminated string', '{"name": "abc', 1, 10],
];

describe('decodeAndroidPolicy: bad JSON → ANDROID_POLICY_PARSE with line and column', () => {
  it.each(notJson)('%s', (_n, text, line, column) => {
    const r = decodeAndroidPolicy(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.code).toBe('ANDROID_POLICY_PARSE');
    expect(r.problems[0]!.details).toEqual({ line, column });
  });

  it('parses what JSON.parse parses, to the same value', () => {
    const text = '{"a":[1,-2.5e3,true,false,null,"\\u00e9\\n\\"x\\""],"__proto__":{"b":{}}}';
    const r = parseJsonStrict(text);
    expect(r.ok && JSON.stringify(r.value)).toBe(JSON.stringify(JSON.parse(text)));
    expect(r.ok && Object.getPrototypeOf(r.value)).toBe(Object.prototype);
  });
});

describe('Certificate keys AMAPI does not support are all refused (docs/formats.md §3.1: Remove, TrustBits; §3.2 legacy Trust)', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['Remove on an Authority', { ...auth, Remove: true }, 'Remove', /does not support "Remove"/],
    [
      'TrustBits on an Authority',
      { ...auth, TrustBits: ['Web'] },
      'TrustBits',
      /does not support "TrustBits"/,
    ],
    [
      'TrustBits on a Server',
      { ...auth, Type: 'Server', TrustBits: [] },
      'TrustBits',
      /does not support "TrustBits"/,
    ],
    ['legacy Trust on an Authority', { ...auth, Trust: ['Web'] }, 'Trust', /legacy spelling/],
    ['TrustBits on a Client', { ...client, TrustBits: ['Web'] }, 'TrustBits', /does not support "TrustBits"/],
  ])('%s', (_n, cert, key, message) => {
    const r = decodeAndroidPolicy(onc([cert]));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const path = `$.openNetworkConfiguration.Certificates[0].${key}`;
    expect(r.problems.map((p) => [p.code, p.details.path])).toEqual([['ANDROID_POLICY_INVALID', path]]);
    expect(r.problems[0]?.message).toMatch(message);
  });
});

const reports: [string, AndroidComplianceReport][] = [
  ['compliant', { appliedPolicyVersion: '3', policyCompliant: true, nonComplianceDetails: [] }],
  [
    'key pair pending, CA invalid, Wi-Fi alias missing',
    {
      appliedPolicyVersion: '3',
      policyCompliant: false,
      nonComplianceDetails: [
        {
          settingName: 'certificateCommands',
          nonComplianceReason: 'PENDING',
          fieldPath: 'certificateCommands[0]',
        },
        {
          settingName: 'openNetworkConfiguration',
          nonComplianceReason: 'INVALID_VALUE',
          fieldPath: 'openNetworkConfiguration.Certificates[0].X509',
          currentValue: null,
        },
        {
          settingName: 'openNetworkConfiguration',
          nonComplianceReason: 'INVALID_VALUE',
          specificNonComplianceReason: 'ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY',
          specificNonComplianceContext: { oncWifiContext: { wifiGuid: 'wifi-1' } },
        },
        {
          settingName: 'applications',
          nonComplianceReason: 'APP_NOT_INSTALLED',
          packageName: 'com.example.vpn',
        },
        {
          settingName: 'certificateCommands',
          nonComplianceReason: 'MANAGEMENT_MODE',
          fieldPath: 'certificateCommands[1].access',
          currentValue: { type: 'SILENT' },
        },
      ],
    },
  ],
];

describe('Android compliance report (AMAPI NonComplianceDetail, docs/errors.md §3)', () => {
  it.each(reports)('%s round-trips', (_n, report) => {
    const r = decodeComplianceReport(encodeComplianceReport(report));
    expect(r.ok && r.report).toEqual(report);
  });

  it.each<[string, unknown, string, RegExp]>([
    [
      'disallowed UNSPECIFIED reason',
      {
        policyCompliant: false,
        nonComplianceDetails: [
          { settingName: 's', nonComplianceReason: 'NON_COMPLIANCE_REASON_UNSPECIFIED' },
        ],
      },
      '$.nonComplianceDetails[0].nonComplianceReason',
      /not a documented/,
    ],
    [
      'unknown reason',
      { policyCompliant: false, nonComplianceDetails: [{ settingName: 's', nonComplianceReason: 'BROKEN' }] },
      '$.nonComplianceDetails[0].nonComplianceReason',
      /not a documented/,
    ],
    [
      'specific reason with the wrong pair',
      {
        policyCompliant: false,
        nonComplianceDetails: [
          {
            settingName: 's',
            nonComplianceReason: 'USER_ACTION',
            specificNonComplianceReason: 'ONC_WIFI_INVALID_VALUE',
          },
        ],
      },
      '$.nonComplianceDetails[0].specificNonComplianceReason',
      /pairs with nonComplianceReason INVALID_VALUE/,
    ],
    [
      'missing settingName',
      { policyCompliant: false, nonComplianceDetails: [{ nonComplianceReason: 'PENDING' }] },
      '$.nonComplianceDetails[0].settingName',
      /non-empty/,
    ],
    [
      'compliant with details',
      { policyCompliant: true, nonComplianceDetails: [{ settingName: 's', nonComplianceReason: 'PENDING' }] },
      '$.policyCompliant',
      /no nonComplianceDetails/,
    ],
    [
      'unknown detail key',
      {
        policyCompliant: false,
        nonComplianceDetails: [{ settingName: 's', nonComplianceReason: 'PENDING', reason: 'x' }],
      },
      '$.nonComplianceDetails[0].reason',
      /unknown key/,
    ],
    ['missing policyCompliant', { nonComplianceDetails: [] }, '$.policyCompliant', /true or false/],
  ])('rejects %s', (_n, value, path, pattern) => {
    const r = decodeComplianceReport(JSON.stringify(value));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const hit = r.problems.find((p) => p.details.path === path);
    expect(hit?.code).toBe('ANDROID_POLICY_INVALID');
    expect(hit?.message).toMatch(pattern);
  });

  it('bad JSON → ANDROID_POLICY_PARSE with line/column', () => {
    const r = decodeComplianceReport('{\n "policyCompliant": }');
    expect(!r.ok && r.problems[0]!.details).toEqual({ line: 2, column: 21 });
  });
});
