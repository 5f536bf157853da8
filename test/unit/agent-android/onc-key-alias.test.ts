/**
 * Issue 12 point 6 — "On Android Enterprise, a Wi-Fi network configuration (ONC) that names a client-
 * certificate key alias no key has is never evaluated": the device now reports the documented AMAPI
 * non-compliance (INVALID_VALUE, ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY, wifiGuid).
 */
import { describe, expect, it } from 'vitest';
import { androidAdapter } from '../../../agent/platforms/android/adapter.ts';
import { missingKeyAliases } from '../../../agent/platforms/android/onc-networks.ts';
import { encodeAndroidPolicy } from '../../../profiles/android/index.ts';
import { ALIAS, androidDevice, CLIENT_GUID, contextFor, hierarchy, pkcs12Of, policyOf } from './fixtures.ts';

const WIFI_GUID = 'C0FFEE00-0000-4000-8000-00000000F1F1';
const RADIUS_ROOT_GUID = 'C0FFEE00-0000-4000-8000-00000000CA01';
// A secure enterprise network (root CA + DomainSuffixMatch), as Android requires (onc-networks.ts).
const wifi = (alias: string) => ({
  GUID: WIFI_GUID,
  Name: 'Corp Wi-Fi',
  Type: 'WiFi',
  WiFi: {
    SSID: 'corp',
    Security: 'WPA-EAP',
    EAP: {
      Outer: 'EAP-TLS',
      ClientCertType: 'KeyPairAlias',
      ClientCertKeyPairAlias: alias,
      ServerCARefs: [RADIUS_ROOT_GUID],
      DomainSuffixMatch: ['radius.example.com'],
    },
  },
});

function policyWith(networkAlias: string): Buffer {
  const h = hierarchy();
  const p = policyOf({ keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: pkcs12Of(h) }] });
  p.openNetworkConfiguration!.NetworkConfigurations = [wifi(networkAlias)];
  p.openNetworkConfiguration!.Certificates.push({
    GUID: RADIUS_ROOT_GUID,
    Type: 'Authority',
    X509: h.root.der,
  });
  return encodeAndroidPolicy(p);
}

describe('ONC Wi-Fi key-pair alias (issue 12 point 6)', () => {
  describe.each(['fully-managed', 'work-profile-corporate', 'work-profile-personal', 'dedicated'] as const)(
    '%s',
    (kind) => {
      it('a network naming the installed alias is compliant', () => {
        const r = androidAdapter.deliver(contextFor(androidDevice(kind)), policyWith(ALIAS));
        // installed (untrusted: the policy carries no root), and nothing about the network
        expect(r.outcomes.map((o) => [o.payload, o.status])).toEqual([[CLIENT_GUID, 'installed']]);
        expect(JSON.parse(r.reply.toString('utf8')).nonComplianceDetails ?? []).toEqual([]);
      });

      it('a network naming an alias no key has is non-compliant with the documented reason', () => {
        const r = androidAdapter.deliver(contextFor(androidDevice(kind)), policyWith('nope'));
        const wifiOutcome = r.outcomes.find((o) => o.payload === WIFI_GUID);
        expect(wifiOutcome).toMatchObject({
          status: 'failed',
          code: 'INSTALL_KEY_ALIAS_MISSING',
          native: {
            platform: 'android',
            nonCompliance: {
              settingName: 'openNetworkConfiguration',
              nonComplianceReason: 'INVALID_VALUE',
              specificNonComplianceReason: 'ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY',
              fieldPath: 'openNetworkConfiguration.NetworkConfigurations[0].WiFi.EAP.ClientCertKeyPairAlias',
            },
          },
        });
        expect(wifiOutcome!.message).toContain('"nope"');
        const report = JSON.stringify(JSON.parse(r.reply.toString('utf8')));
        expect(report).toContain('ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY');
        expect(report).toContain(WIFI_GUID);
        // the key pair itself still installs
        expect(r.outcomes.find((o) => o.payload === CLIENT_GUID)?.status).toBe('installed');
      });
    },
  );

  it('device administrator is not AMAPI-managed: an AMAPI policy is not SyncML, no ONC evaluation', () => {
    const r = androidAdapter.deliver(
      contextFor(androidDevice('device-admin', { modelId: 'samsung-galaxy-s23' })),
      policyWith('nope'),
    );
    expect(r.outcomes.map((o) => o.code)).toEqual(['SYNCML_PARSE']);
    expect(r.outcomes[0]?.native).toEqual({
      platform: 'android',
      deviceAdmin: { syncml: 400, console: 'Error' },
    });
  });

  it('missingKeyAliases skips networks without a key-pair alias and names the rest by GUID and path', () => {
    const nets = [
      { GUID: 'a', Type: 'WiFi', WiFi: { EAP: { ClientCertType: 'Ref' } } },
      'junk',
      wifi('x'),
      { WiFi: { EAP: { ClientCertType: 'KeyPairAlias' } } },
    ];
    expect(missingKeyAliases(nets, new Set(['x']))).toEqual([
      {
        guid: 'NetworkConfigurations[3]',
        alias: '',
        fieldPath: 'openNetworkConfiguration.NetworkConfigurations[3].WiFi.EAP.ClientCertKeyPairAlias',
      },
    ]);
    expect(missingKeyAliases(undefined, new Set())).toEqual([]);
  });
});
