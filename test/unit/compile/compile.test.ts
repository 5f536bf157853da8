/**
 * compileProfile across every profile family and both kinds: compile → decode with the platform's strict
 * codec → the decoded payload carries what the profile asked for (docs/formats.md §6 mappings).
 */
import { describe, expect, it } from 'vitest';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import type { Pkcs12CertificatePayload } from '../../../profiles/apple/mobileconfig-types.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { CompileOptions, CompileResult } from '../../../profiles/compile/index.ts';
import { readDeviceAdminMessage } from '../../../profiles/android/device-admin-syncml.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import type { SyncmlMessage } from '../../../profiles/windows/syncml-model.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import { decodeAndroid, decodeApple, decodePfx, decodeTrusted, payloadOf } from './decode.ts';
import { FACTS, PFX_PASSWORD, fixedIdentity, fixedRoot, pkcsProfile, trustedProfile } from './fixtures.ts';

const opts = (over: Partial<CompileOptions> = {}): CompileOptions => ({ ids: seededIds('t'), ...over });
const ANDROID_FAMILIES = ['android-work-profile', 'android-device-owner', 'android-device-admin'] as const;

describe('trusted certificate, Windows: destinationStore → RootCATrustedCertificates scope/store + SHA-1 node', () => {
  it.each([
    ['computerCertStoreRoot', 'Device', 'Root'],
    ['computerCertStoreIntermediate', 'Device', 'CA'],
    ['userCertStoreIntermediate', 'User', 'CA'],
  ] as const)('%s → ./%s/…/%s', (destinationStore, scope, store) => {
    const root = fixedRoot();
    const p = payloadOf(
      compileProfile(trustedProfile('windows', { destinationStore }), FACTS.windows, opts()),
    );
    const ops = decodeTrusted(p);
    expect(ops).toHaveLength(1);
    const op = ops[0]!;
    expect(op.command).toBe('Add');
    if (op.command === 'Delete') throw new Error('unexpected Delete');
    expect([op.scope, op.store, op.thumbprint]).toEqual([scope, store, root.sha1Thumbprint]);
    expect(op.certificateDer.equals(root.der)).toBe(true);
    expect(p.bytes.toString('utf8')).toContain(
      `./${scope}/Vendor/MSFT/RootCATrustedCertificates/${store}/${root.sha1Thumbprint}/EncodedCertificate`,
    );
  });
});

describe('trusted certificate, Apple: com.apple.security.root', () => {
  it.each([
    ['macos', { deploymentChannel: 'deviceChannel' }, 'System'],
    ['macos', { deploymentChannel: 'userChannel' }, 'User'],
    ['ios', {}, undefined],
  ] as const)('%s %j → PayloadScope %s', (family, extra, scope) => {
    const p = payloadOf(compileProfile(trustedProfile(family, extra), FACTS[family], opts()));
    const decoded = decodeApple(p, family);
    expect(decoded.PayloadScope).toBe(scope);
    expect(decoded.PayloadContent).toHaveLength(1);
    const payload = decoded.PayloadContent[0]!;
    expect(payload.PayloadType).toBe('com.apple.security.root');
    if (payload.PayloadType !== 'com.apple.security.root') return;
    expect(payload.PayloadCertificateFileName).toBe('contoso-root.cer');
    expect(payload.PayloadContent.equals(fixedRoot().der)).toBe(true);
    expect(decoded.PayloadDisplayName).toBe(`Contoso Root (${family})`);
  });
});

const AE_FAMILIES = ['android-work-profile', 'android-device-owner'] as const;

describe.each(AE_FAMILIES)('trusted certificate, %s: ONC Authority + INSTALL_CA_CERT', (family) => {
  it('carries the DER as an Authority and one command that installs it by GUID', () => {
    const policy = decodeAndroid(payloadOf(compileProfile(trustedProfile(family), FACTS[family], opts())));
    const certs = policy.openNetworkConfiguration?.Certificates ?? [];
    expect(certs).toHaveLength(1);
    const ca = certs[0]!;
    expect(ca.Type).toBe('Authority');
    if (ca.Type === 'Client') return;
    expect(ca.X509.equals(fixedRoot().der)).toBe(true);
    expect(policy.certificateCommands).toEqual([{ type: 'INSTALL_CA_CERT', certificateGuid: ca.GUID }]);
  });
});

describe('PKCS, Windows: keyStorageProvider → KeyLocation, certificate type → scope, password node', () => {
  const identity = fixedIdentity();
  it.each([
    ['useTpmKspOtherwiseFail', 'user', 1, 'User'],
    ['useTpmKspOtherwiseUseSoftwareKsp', 'user', 2, 'User'],
    ['useSoftwareKsp', 'device', 3, 'Device'],
    ['usePassportForWorkKspOtherwiseFail', 'user', 4, 'User'],
    ['useTpmKspOtherwiseUseSoftwareKsp', 'device', 2, 'Device'],
  ] as const)(
    '%s, %s certificate → KeyLocation %i in ./%s',
    (keyStorageProvider, certificateType, loc, scope) => {
      const extra =
        certificateType === 'device'
          ? {
              keyStorageProvider,
              certificateType,
              certificateTemplateName: 'CertfleetDevice',
              subjectNameFormatString: 'CN={{DeviceName}}',
              subjectAlternativeNameType: [],
            }
          : { keyStorageProvider };
      const installs = decodePfx(
        payloadOf(compileProfile(pkcsProfile('windows', extra), FACTS.windows, opts({ issued: identity }))),
      );
      expect(installs).toHaveLength(1);
      const i = installs[0]!.install;
      expect([i.keyLocation, i.scope, i.keyExportable]).toEqual([loc, scope, false]);
      expect(i.uniqueId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
      expect(i.containerName !== undefined).toBe(loc === 4);
      expect(i.pfxBlob.equals(identity.pfx)).toBe(true);
    },
  );

  it.each([
    ['no encryptPassword: clear password, type 0', undefined, 0, PFX_PASSWORD],
    [
      'encryptPassword given: its base64 CMS, type 1',
      (pw: string) => Buffer.from(`cms(${pw})`).toString('base64'),
      1,
      Buffer.from(`cms(${PFX_PASSWORD})`).toString('base64'),
    ],
  ] as const)('%s', (_name, encryptPassword, type, sent) => {
    const installs = decodePfx(
      payloadOf(
        compileProfile(
          pkcsProfile('windows'),
          FACTS.windows,
          opts({ issued: identity, ...(encryptPassword && { encryptPassword }) }),
        ),
      ),
    );
    const i = installs[0]!.install;
    expect(i.passwordEncryptionType).toBe(type);
    expect(i.password).toBe(sent);
  });
});

describe('PKCS, Apple: com.apple.security.pkcs12 with Password; macOS-only keys only on macOS', () => {
  const identity = fixedIdentity();
  it.each([
    ['macos', { deploymentChannel: 'deviceChannel', allowAllAppsAccess: false }, 'System', false],
    ['macos', { deploymentChannel: 'userChannel', allowAllAppsAccess: true }, 'User', true],
    ['ios', {}, undefined, undefined],
  ] as const)('%s %j → PayloadScope %s, AllowAllAppsAccess %s', (family, extra, scope, allApps) => {
    const decoded = decodeApple(
      payloadOf(compileProfile(pkcsProfile(family, extra), FACTS[family], opts({ issued: identity }))),
      family,
    );
    expect(decoded.PayloadScope).toBe(scope);
    const payload = decoded.PayloadContent[0] as Pkcs12CertificatePayload;
    expect(payload.PayloadType).toBe('com.apple.security.pkcs12');
    expect(payload.Password).toBe(PFX_PASSWORD);
    expect(payload.AllowAllAppsAccess).toBe(allApps);
    expect(payload.KeyIsExtractable).toBe(family === 'macos' ? false : undefined);
    const opened = parsePkcs12(payload.PayloadContent, payload.Password ?? '');
    expect(opened.certificates[0]?.equals(identity.leaf.der)).toBe(true);
  });
});

describe('PKCS, Android: ONC Client re-wrapped with the empty passphrase + INSTALL_KEY_PAIR', () => {
  const identity = fixedIdentity();
  it.each([
    [
      'android-device-owner',
      { certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.vpn'] } },
      { type: 'SILENT', packages: ['com.contoso.vpn'] },
    ],
    ['android-device-owner', { certificateAccess: { type: 'userApproval' } }, { type: 'USER_APPROVAL' }],
    ['android-work-profile', {}, { type: 'USER_APPROVAL' }],
  ] as const)('%s %j → access %j', (family, extra, access) => {
    const policy = decodeAndroid(
      payloadOf(compileProfile(pkcsProfile(family, extra), FACTS[family], opts({ issued: identity }))),
    );
    const client = policy.openNetworkConfiguration?.Certificates[0];
    expect(client?.Type).toBe('Client');
    if (client?.Type !== 'Client') return;
    expect(() => parsePkcs12(client.PKCS12, PFX_PASSWORD)).toThrow(/password/i);
    const opened = parsePkcs12(client.PKCS12, '');
    expect(opened.certificates[0]?.equals(identity.leaf.der)).toBe(true);
    expect(policy.certificateCommands).toEqual([
      {
        type: 'INSTALL_KEY_PAIR',
        alias: expect.stringMatching(/^certfleet-contoso-wi-fi-android/),
        pkcs12Guid: client.GUID,
        access,
      },
    ]);
  });
});

describe('android-device-admin: OMA-DM SyncML for the Company Portal (CertificateStore), no AMAPI field', () => {
  const text = (r: CompileResult): string => {
    const p = payloadOf(r);
    expect(p.format).toBe('syncml');
    return p.bytes.toString('utf8');
  };
  const AMAPI_FIELDS =
    /openNetworkConfiguration|certificateCommands|INSTALL_CA_CERT|INSTALL_KEY_PAIR|nonCompliance/;

  it('trusted certificate → one Add of CertificateStore/Root/{GUID}/EncodedCertificate with the DER', () => {
    const r = compileProfile(trustedProfile('android-device-admin'), FACTS['android-device-admin'], opts());
    const xml = text(r);
    expect(xml).not.toMatch(AMAPI_FIELDS);
    const m = readDeviceAdminMessage(decodeOk(xml));
    expect(m.unknown).toEqual([]);
    expect(m.installs).toHaveLength(1);
    const root = m.installs[0]!;
    expect(root.kind).toBe('root');
    expect(Buffer.from(root.encoded, 'base64').equals(fixedRoot().der)).toBe(true);
  });

  it('PKCS → an Atomic with PFXCertPassword and the connector PKCS#12 under My/User/{GUID}', () => {
    const identity = fixedIdentity();
    const r = compileProfile(
      pkcsProfile('android-device-admin'),
      FACTS['android-device-admin'],
      opts({ issued: identity }),
    );
    const xml = text(r);
    expect(xml).not.toMatch(AMAPI_FIELDS);
    const m = readDeviceAdminMessage(decodeOk(xml));
    const pkcs = m.installs[0]!;
    expect(pkcs.kind).toBe('pkcs');
    if (pkcs.kind !== 'pkcs') return;
    expect(pkcs.atomicCmdId).not.toBe(pkcs.cmdId);
    expect(pkcs.password).toBe(PFX_PASSWORD);
    const opened = parsePkcs12(Buffer.from(pkcs.encoded, 'base64'), PFX_PASSWORD);
    expect(opened.certificates[0]?.equals(identity.leaf.der)).toBe(true);
  });
});

function decodeOk(xml: string): SyncmlMessage {
  const d = decodeSyncml(xml);
  if (!d.ok) throw new Error(d.problems.map((p) => p.message).join('; '));
  return d.message;
}

describe.each(['windows', 'macos', 'ios', ...ANDROID_FAMILIES] as const)(
  'PKCS %s: request resolved, no issued identity',
  (family: ProfileFamily) => {
    it('returns the resolved subject and SANs with the compiled payload', () => {
      const r = compileProfile(pkcsProfile(family), FACTS[family], opts({ issued: fixedIdentity() }));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.request?.sans).toEqual([
        { type: 'email', value: 'Ada.Lovelace@contoso.com' },
        { type: 'upn', value: 'ada@contoso.com' },
      ]);
      expect(r.request?.template).toBe('CertfleetUser');
      expect(r.request?.subject).toBe(
        family === 'android-device-admin' ? 'CN=ada.lovelace' : 'CN=ada.lovelace,O=Contoso',
      );
    });

    it('without options.issued ends in a USAGE ValidationError, not a throw', () => {
      const r = compileProfile(pkcsProfile(family), FACTS[family], opts());
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect([r.outcome.kind, r.outcome.code]).toEqual(['ValidationError', 'USAGE']);
    });
  },
);

describe('a profile of another family is not compiled for the device', () => {
  it.each([
    ['ios trusted on a macOS device', () => trustedProfile('ios'), FACTS.macos],
    ['windows PKCS on an Android device', () => pkcsProfile('windows'), FACTS['android-device-owner']],
    [
      'device-owner PKCS on a work-profile device',
      () => pkcsProfile('android-device-owner'),
      FACTS['android-work-profile'],
    ],
  ] as const)('%s → ValidationError on path family', (_n, make, facts) => {
    const r = compileProfile(make(), facts, opts({ issued: fixedIdentity() }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([r.outcome.kind, r.outcome.code, (r.outcome as { path: string }).path]).toEqual([
      'ValidationError',
      'PROFILE_INVALID',
      'family',
    ]);
  });
});

describe('regression issue 3: the trusted-certificate defaults reach the device', () => {
  it('Windows without destinationStore → ./Device RootCATrustedCertificates/Root', () => {
    const p = trustedProfile('windows');
    expect(p.family === 'windows' && p.destinationStore).toBe('computerCertStoreRoot');
    const ops = decodeTrusted(payloadOf(compileProfile(p, FACTS.windows, { ids: seededIds(1) })));
    expect(ops.map((o) => [o.scope, o.store])).toEqual([['Device', 'Root']]);
  });

  it('macOS without deploymentChannel → the device channel (PayloadScope System)', () => {
    const p = trustedProfile('macos');
    expect(p.family === 'macos' && p.deploymentChannel).toBe('deviceChannel');
    const decoded = decodeApple(payloadOf(compileProfile(p, FACTS.macos, { ids: seededIds(1) })), 'macos');
    expect(decoded.PayloadScope).toBe('System');
  });
});
