/**
 * QA walkthrough (andr/03–05, 12–14): an Android Enterprise device checks the Wi-Fi networks of
 * `openNetworkConfiguration` as AMAPI-NET describes (docs/formats.md §3.1, docs/errors.md §3.3,
 * agent/platforms/android/onc-networks.ts). An enterprise network without its root CA or DomainSuffixMatch
 * is refused with INVALID_VALUE + ONC_WIFI_INVALID_ENTERPRISE_CONFIG, an unsupported key or value with
 * INVALID_VALUE + ONC_WIFI_INVALID_VALUE, MACAddressRandomizationMode below Android 13 with API_LEVEL +
 * ONC_WIFI_API_LEVEL — each at the field's `fieldPath`, with the network's GUID in `oncWifiContext`. The
 * certificate commands beside the network still install.
 */
import { describe, expect, it } from 'vitest';
import { androidAdapter } from '../../../agent/platforms/android/adapter.ts';
import { oncNetworkProblems } from '../../../agent/platforms/android/onc-networks.ts';
import { decodeComplianceReport, encodeAndroidPolicy } from '../../../profiles/android/index.ts';
import {
  ALIAS,
  CLIENT_GUID,
  ROOT_GUID,
  androidDevice,
  contextFor,
  hierarchy,
  pkcs12Of,
  policyOf,
} from './fixtures.ts';

const WIFI_GUID = 'C0FFEE00-0000-4000-8000-00000000F1F2';
const RADIUS_ROOT = 'C0FFEE00-0000-4000-8000-00000000CA02';
const GARBAGE_ROOT = 'C0FFEE00-0000-4000-8000-00000000CA03';
const NET = 'openNetworkConfiguration.NetworkConfigurations[0]';
const h = hierarchy();

type Eap = Record<string, unknown>;
type WiFi = Record<string, unknown>;

/** A secure EAP-TLS network using the installed key pair; `eap` / `wifi` / `net` patch it (undefined deletes). */
function network(eap: Eap = {}, wifi: WiFi = {}, net: Record<string, unknown> = {}): Record<string, unknown> {
  const e: Eap = {
    Outer: 'EAP-TLS',
    Identity: 'user@example.com',
    ClientCertType: 'KeyPairAlias',
    ClientCertKeyPairAlias: ALIAS,
    ServerCARefs: [RADIUS_ROOT],
    DomainSuffixMatch: ['radius.example.com'],
    ...eap,
  };
  const w: WiFi = { SSID: 'Corp', Security: 'WPA-EAP', AutoConnect: true, EAP: e, ...wifi };
  const n: Record<string, unknown> = { GUID: WIFI_GUID, Name: 'Corp', Type: 'WiFi', WiFi: w, ...net };
  for (const o of [e, w, n]) for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return n;
}

function policyWith(...networks: unknown[]): Buffer {
  const p = policyOf({ keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: pkcs12Of(h) }] });
  p.openNetworkConfiguration!.NetworkConfigurations = networks;
  p.openNetworkConfiguration!.Certificates.push(
    { GUID: RADIUS_ROOT, Type: 'Authority', X509: h.root.der },
    { GUID: GARBAGE_ROOT, Type: 'Authority', X509: Buffer.from('garbage') },
  );
  return encodeAndroidPolicy(p);
}

function deliver(payload: Buffer, osVersion = '12') {
  const r = androidAdapter.deliver(contextFor(androidDevice('fully-managed', { osVersion })), payload);
  const report = decodeComplianceReport(r.reply);
  if (!report.ok) throw new Error(report.problems.map((p) => p.message).join('; '));
  return { ...r, report: report.report };
}

/** [name, network, device Android version, code, reason, specific, fieldPath (after NetworkConfigurations[0].)] */
const REFUSED: [string, unknown, string, string, string, string, string][] = [
  // andr/03, andr/04: AMAPI-NET "considered insecure and rejected"; G1 ONC_WIFI_INVALID_ENTERPRISE_CONFIG
  [
    'no DomainSuffixMatch (andr/03)',
    network({ DomainSuffixMatch: undefined }),
    '12',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_ENTERPRISE_CONFIG',
    'WiFi.EAP.DomainSuffixMatch',
  ],
  [
    'an empty DomainSuffixMatch list',
    network({ DomainSuffixMatch: [] }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_ENTERPRISE_CONFIG',
    'WiFi.EAP.DomainSuffixMatch',
  ],
  [
    'no root CA (andr/04)',
    network({ ServerCARefs: undefined }),
    '12',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_ENTERPRISE_CONFIG',
    'WiFi.EAP.ServerCARefs',
  ],
  [
    'PEAP without root CA',
    network({
      Outer: 'PEAP',
      Inner: 'MSCHAPv2',
      ClientCertType: undefined,
      ClientCertKeyPairAlias: undefined,
      ServerCARefs: [],
    }),
    '10',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_ENTERPRISE_CONFIG',
    'WiFi.EAP.ServerCARefs',
  ],
  // AMAPI-NET "not supported" keys and values
  [
    'ClientCertType Pattern with ClientCertPattern (andr/05)',
    network({
      ClientCertType: 'Pattern',
      ClientCertKeyPairAlias: undefined,
      ClientCertPattern: { IssuerCARef: [RADIUS_ROOT] },
    }),
    '12',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.ClientCertPattern',
  ],
  [
    'ClientCertType Pattern',
    network({ ClientCertType: 'Pattern', ClientCertKeyPairAlias: undefined }),
    '12',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.ClientCertType',
  ],
  [
    'UseSystemCAs beside ServerCARefs (andr/12)',
    network({ UseSystemCAs: true }),
    '12',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.UseSystemCAs',
  ],
  [
    'UseSystemCAs instead of ServerCARefs',
    network({ UseSystemCAs: true, ServerCARefs: undefined }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.UseSystemCAs',
  ],
  [
    'SaveCredentials',
    network({ SaveCredentials: true }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.SaveCredentials',
  ],
  [
    'Outer EAP-FOO (andr/13)',
    network({ Outer: 'EAP-FOO' }),
    '12',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.Outer',
  ],
  [
    'Outer LEAP',
    network({ Outer: 'LEAP' }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.Outer',
  ],
  [
    'Inner MD5',
    network({ Outer: 'PEAP', Inner: 'MD5' }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.Inner',
  ],
  [
    'AllowGatewayARPPolling',
    network({}, { AllowGatewayARPPolling: true }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.AllowGatewayARPPolling',
  ],
  [
    'a network Type other than WiFi',
    network({}, {}, { Type: 'Ethernet' }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'Type',
  ],
  [
    'a Security value AMAPI does not list',
    network({}, { Security: 'WPA2-PSK' }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.Security',
  ],
  [
    'a DomainSuffixMatch entry that is no domain name',
    network({ DomainSuffixMatch: ['not a domain!'] }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.DomainSuffixMatch[0]',
  ],
  [
    'a MACAddressRandomizationMode value AMAPI does not list',
    network({}, { MACAddressRandomizationMode: 'Software' }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.MACAddressRandomizationMode',
  ],
  // references the network cannot use (inferred)
  [
    'ServerCARefs naming no certificate',
    network({ ServerCARefs: ['NOPE'] }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.ServerCARefs[0]',
  ],
  [
    'ServerCARefs naming an Authority whose X509 is garbage',
    network({ ServerCARefs: [RADIUS_ROOT, GARBAGE_ROOT] }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.ServerCARefs[1]',
  ],
  [
    'ServerCARefs naming the Client certificate',
    network({ ServerCARefs: [CLIENT_GUID] }),
    '14',
    'ANDROID_POLICY_INVALID',
    'INVALID_VALUE',
    'ONC_WIFI_INVALID_VALUE',
    'WiFi.EAP.ServerCARefs[0]',
  ],
  // andr/14: AMAPI-NET "only applicable to Android 13 and above"
  [
    'MACAddressRandomizationMode on Android 12 (andr/14)',
    network({}, { MACAddressRandomizationMode: 'Hardware' }),
    '12',
    'INSTALL_NOT_ALLOWED',
    'API_LEVEL',
    'ONC_WIFI_API_LEVEL',
    'WiFi.MACAddressRandomizationMode',
  ],
];

describe('ONC Wi-Fi networks the device refuses (QA walkthrough andr/03–05, 12–14)', () => {
  it.each(REFUSED)('%s', (_name, net, os, code, reason, specific, path) => {
    const r = deliver(policyWith(net), os);
    const fieldPath = `${NET}.${path}`;
    const detail = {
      settingName: 'openNetworkConfiguration',
      nonComplianceReason: reason,
      specificNonComplianceReason: specific,
      fieldPath,
    };
    expect(r.outcomes.filter((o) => o.payload === WIFI_GUID)).toEqual([
      expect.objectContaining({
        status: 'failed',
        code,
        path: `$.${fieldPath}`,
        native: { platform: 'android', nonCompliance: detail },
      }),
    ]);
    expect(r.report.policyCompliant).toBe(false);
    expect(r.report.nonComplianceDetails).toEqual([
      { ...detail, specificNonComplianceContext: { oncWifiContext: { wifiGuid: WIFI_GUID } } },
    ]);
    // the key pair beside the network is installed all the same (per-setting compliance, adapter.ts)
    expect(r.outcomes.find((o) => o.payload === CLIENT_GUID)?.status).toBe('installed');
  });
});

describe('ONC Wi-Fi networks the device accepts', () => {
  it.each<[string, unknown, string]>([
    ['a secure EAP-TLS network (andr/01)', network(), '12'],
    [
      'ServerCARef (singular) and several domains',
      network({
        ServerCARefs: undefined,
        ServerCARef: RADIUS_ROOT,
        DomainSuffixMatch: ['example.com', 'radius.example.org'],
      }),
      '14',
    ],
    [
      'PEAP + MSCHAPv2 with root CA and domain',
      network({
        Outer: 'PEAP',
        Inner: 'MSCHAPv2',
        ClientCertType: undefined,
        ClientCertKeyPairAlias: undefined,
        Password: 'p',
      }),
      '14',
    ],
    [
      'EAP-SIM needs no server certificate',
      network({
        Outer: 'EAP-SIM',
        ClientCertType: undefined,
        ClientCertKeyPairAlias: undefined,
        ServerCARefs: undefined,
        DomainSuffixMatch: undefined,
      }),
      '14',
    ],
    [
      'a WPA-PSK network',
      network({}, { Security: 'WPA-PSK', Passphrase: 'correct horse', EAP: undefined }),
      '12',
    ],
    [
      'a WEP-PSK network with a 26-digit key',
      network({}, { Security: 'WEP-PSK', Passphrase: '0x0123456789abcdef0123456789', EAP: undefined }),
      '14',
    ],
    [
      'MACAddressRandomizationMode on Android 13',
      network({}, { MACAddressRandomizationMode: 'Automatic' }),
      '13',
    ],
    [
      'HexSSID matching SSID, ProxySettings PAC',
      network(
        {},
        { HexSSID: '436F7270' },
        { ProxySettings: { Type: 'PAC', PAC: 'https://p.example.com/p.pac' } },
      ),
      '14',
    ],
  ])('%s', (_name, net, os) => {
    const r = deliver(policyWith(net), os);
    expect(r.outcomes.map((o) => [o.payload, o.status])).toEqual([[CLIENT_GUID, 'installed']]);
    expect(r.report).toMatchObject({ policyCompliant: true, nonComplianceDetails: [] });
  });
});

describe('how the network checks combine', () => {
  it('API_LEVEL does not stop the network: a missing key alias is still reported beside it', () => {
    const net = network({ ClientCertKeyPairAlias: 'nope' }, { MACAddressRandomizationMode: 'Hardware' });
    const r = deliver(policyWith(net), '12');
    expect(r.report.nonComplianceDetails.map((d) => d.specificNonComplianceReason)).toEqual([
      'ONC_WIFI_API_LEVEL',
      'ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY',
    ]);
  });

  it('a refused network is not added, so its key alias is not looked at', () => {
    const net = network({ ClientCertKeyPairAlias: 'nope', DomainSuffixMatch: undefined });
    const r = deliver(policyWith(net), '14');
    expect(r.report.nonComplianceDetails.map((d) => d.specificNonComplianceReason)).toEqual([
      'ONC_WIFI_INVALID_ENTERPRISE_CONFIG',
    ]);
  });

  it('each network is judged on its own, in order; a network without GUID has no oncWifiContext', () => {
    const second = { ...network(), GUID: undefined, Name: 'Guest' };
    delete second.GUID;
    const r = deliver(
      policyWith(network({ DomainSuffixMatch: undefined }), network({}, {}, { GUID: 'OK-1' }), second),
    );
    expect(r.report.nonComplianceDetails).toEqual([
      expect.objectContaining({ fieldPath: `${NET}.WiFi.EAP.DomainSuffixMatch` }),
      {
        settingName: 'openNetworkConfiguration',
        nonComplianceReason: 'INVALID_VALUE',
        specificNonComplianceReason: 'ONC_WIFI_INVALID_VALUE',
        fieldPath: 'openNetworkConfiguration.NetworkConfigurations[2].GUID',
      },
    ]);
    expect(r.outcomes.filter((o) => o.status === 'failed').map((o) => o.payload)).toEqual([
      WIFI_GUID,
      'NetworkConfigurations[2]',
    ]);
  });

  it('the same bytes again are re-evaluated (a non-compliant policy is never UNCHANGED)', () => {
    const ctx = contextFor(androidDevice('fully-managed', { osVersion: '14' }));
    const bytes = policyWith(network({ ServerCARefs: undefined }));
    androidAdapter.deliver(ctx, bytes);
    const again = androidAdapter.deliver(ctx, bytes);
    expect(again.outcomes.find((o) => o.payload === WIFI_GUID)?.code).toBe('ANDROID_POLICY_INVALID');
  });

  it('oncNetworkProblems: nothing for no networks; a non-object entry is an invalid value', () => {
    expect(oncNetworkProblems(undefined, [], 34)).toEqual([]);
    expect(oncNetworkProblems(['junk'], [], 34)).toEqual([
      expect.objectContaining({
        case: 'oncWifiInvalidValue',
        guid: 'NetworkConfigurations[0]',
        fieldPath: 'openNetworkConfiguration.NetworkConfigurations[0]',
        blocking: true,
      }),
    ]);
  });
});

describe('Certificate keys AMAPI does not support are refused alike at the device (andr/06, andr/07)', () => {
  it.each(['Remove', 'TrustBits', 'Trust'])('%s on a referenced Authority', (key) => {
    const p = policyOf({ cas: [{ guid: ROOT_GUID, der: h.root.der }] });
    const bytes = Buffer.from(
      encodeAndroidPolicy(p)
        .toString('utf8')
        .replace(
          `"Type": "Authority",`,
          `"Type": "Authority", "${key}": ${key === 'Remove' ? 'false' : '["Web"]'},`,
        ),
    );
    const r = androidAdapter.deliver(contextFor(androidDevice('fully-managed')), bytes);
    expect(r.outcomes).toEqual([
      expect.objectContaining({
        status: 'failed',
        code: 'ANDROID_POLICY_INVALID',
        native: {
          platform: 'android',
          nonCompliance: {
            settingName: 'openNetworkConfiguration',
            nonComplianceReason: 'INVALID_VALUE',
            fieldPath: `openNetworkConfiguration.Certificates[0].${key}`,
          },
        },
      }),
    ]);
  });
});
