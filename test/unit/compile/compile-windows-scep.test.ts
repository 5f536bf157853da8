/**
 * Issue 14 point 2 (Windows device payload): a Windows SCEP profile compiles to one SyncML Atomic of
 * ClientCertificateInstall `SCEP/{UniqueID}/Install/…` Adds with the `Enroll` Exec last, in the user or
 * device scope, carrying the resolved names, the challenge and the key settings — and decodes strictly.
 */
import { describe, expect, it } from 'vitest';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import { unusedSettingsOf } from '../../../profiles/model/unused-settings.ts';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeScepInstalls } from '../../../profiles/windows/scep-install-decode.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import type { SyncmlContainer, SyncmlItemCommand } from '../../../profiles/windows/syncml-model.ts';
import { FACTS, fixedIdentity, pkcsProfile } from './fixtures.ts';

const THUMB = 'A1B2C3D4E5F60718293A4B5C6D7E8F9011223344';

function profile(extra: Record<string, unknown> = {}): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family: 'windows',
    displayName: 'VPN SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    customSubjectAlternativeNames: [
      { sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' },
      { sanType: 'domainNameService', name: '{{DeviceName}}.contoso.com' },
    ],
    scepServerUrls: [
      'https://ndes1.contoso.com/certsrv/mscep/mscep.dll',
      'https://ndes2.contoso.com/certsrv/mscep/mscep.dll',
    ],
    keyStorageProvider: 'useTpmKspOtherwiseFail',
    hashAlgorithm: ['sha1', 'sha2'],
    extendedKeyUsages: [
      { name: 'Client Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.2' },
      { name: 'Smart Card Logon', objectIdentifier: '1.3.6.1.4.1.311.20.2.2' },
    ],
    validity: { value: 6, unit: 'months' },
    ...extra,
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

function atomicOf(p: ScepCertificateProfile, url?: string): SyncmlContainer {
  const c = compileProfile(p, FACTS.windows, {
    ids: seededIds('w'),
    scep: { challenge: 'one-time-challenge', caThumbprint: THUMB, ...(url !== undefined && { url }) },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  expect(c.payload.format).toBe('syncml');
  const d = decodeSyncml(c.payload.bytes);
  expect(d.ok, JSON.stringify(d)).toBe(true);
  if (c.payload.format !== 'syncml') throw new Error('not SyncML');
  expect(c.payload.native.body).toHaveLength(1);
  const atomic = c.payload.native.body[0] as SyncmlContainer;
  expect(atomic.kind).toBe('Atomic');
  return atomic;
}

function leaves(atomic: SyncmlContainer): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const cmd of atomic.children as SyncmlItemCommand[]) {
    const target = cmd.items[0]!.target!;
    out[`${cmd.kind} ${target.replace(/^.*\/SCEP\/[^/]+\//, '')}`] = cmd.items[0]!.data;
  }
  return out;
}

describe('ClientCertificateInstall/SCEP from a Windows SCEP profile', () => {
  it('sets the Install leaves and runs Enroll last, in the user scope', () => {
    const atomic = atomicOf(profile());
    const cmds = atomic.children as SyncmlItemCommand[];
    expect(cmds.at(-1)!.kind).toBe('Exec');
    expect(cmds.at(-1)!.items[0]!.target).toMatch(
      /^\.\/User\/Vendor\/MSFT\/ClientCertificateInstall\/SCEP\/[^/]+\/Install\/Enroll$/,
    );
    expect(cmds.slice(0, -1).every((c) => c.kind === 'Add')).toBe(true);
    expect(leaves(atomic)).toEqual({
      'Add Install/ServerURL':
        'https://ndes1.contoso.com/certsrv/mscep/mscep.dll;https://ndes2.contoso.com/certsrv/mscep/mscep.dll',
      'Add Install/Challenge': 'one-time-challenge',
      'Add Install/SubjectName': 'CN=ada.lovelace,O=Contoso',
      'Add Install/SubjectAlternativeNames': '11+ada@contoso.com;3+ADA-DEVICE.contoso.com',
      'Add Install/KeyUsage': '160',
      'Add Install/KeyLength': '2048',
      'Add Install/KeyProtection': '1',
      'Add Install/HashAlgorithm': 'SHA-1+SHA-2',
      'Add Install/EKUMapping': '1.3.6.1.5.5.7.3.2+1.3.6.1.4.1.311.20.2.2',
      'Add Install/CAThumbprint': THUMB,
      'Add Install/ValidPeriod': 'Months',
      'Add Install/ValidPeriodUnits': '6',
      'Exec Install/Enroll': undefined,
    });
  });

  it('a device certificate goes to ./Device; the run’s URL replaces the profile’s', () => {
    const atomic = atomicOf(
      profile({
        certificateType: 'device',
        subjectNameFormatString: 'CN={{DeviceName}}',
        customSubjectAlternativeNames: [],
      }),
      'http://127.0.0.1:8080/certsrv/mscep/mscep.dll',
    );
    const cmds = atomic.children as SyncmlItemCommand[];
    expect(
      cmds.every((c) =>
        c.items[0]!.target!.startsWith('./Device/Vendor/MSFT/ClientCertificateInstall/SCEP/'),
      ),
    ).toBe(true);
    expect(leaves(atomic)['Add Install/ServerURL']).toBe('http://127.0.0.1:8080/certsrv/mscep/mscep.dll');
    expect(leaves(atomic)['Add Install/SubjectAlternativeNames']).toBeUndefined();
  });

  it('needs the CA thumbprint, and fails a variable the device lacks as PKCS does', () => {
    const noThumb = compileProfile(profile(), FACTS.windows, {
      ids: seededIds('w'),
      scep: { challenge: 'c' },
    });
    expect(noThumb.ok).toBe(false);
    if (!noThumb.ok) expect(noThumb.outcome.message).toMatch(/CAThumbprint/);
    const imei = compileProfile(profile({ subjectNameFormatString: 'CN={{IMEI}}' }), FACTS.windows, {
      ids: seededIds('w'),
      scep: { challenge: 'c', caThumbprint: THUMB },
    });
    expect(imei.ok).toBe(false);
    if (!imei.ok) expect(imei.outcome.code).toBe('VARIABLE_MISSING');
  });
});

describe('QA walkthrough: Windows Hello, repeated SANs and EKUs of a Windows SCEP profile', () => {
  const whfb = (): ScepCertificateProfile =>
    profile({ keyStorageProvider: 'usePassportForWorkKspOtherwiseFail' });

  it('KeyProtection 4 (Windows Hello for Business) comes with the ContainerName CCI requires, before Enroll', () => {
    const atomic = atomicOf(whfb());
    const cmds = atomic.children as SyncmlItemCommand[];
    const uniqueId = /\/SCEP\/([^/]+)\//.exec(cmds[0]!.items[0]!.target!)![1]!;
    const l = leaves(atomic);
    expect(l['Add Install/KeyProtection']).toBe('4');
    expect(l['Add Install/ContainerName']).toBe(`certfleet-${uniqueId}`);
    const names = Object.keys(l);
    expect(names.indexOf('Add Install/ContainerName')).toBe(names.indexOf('Add Install/KeyProtection') + 1);
    expect(names.at(-1)).toBe('Exec Install/Enroll');
    // the Atomic and its commands are numbered on without a gap
    expect([atomic.cmdId, ...cmds.map((c) => c.cmdId)]).toEqual(
      Array.from({ length: cmds.length + 1 }, (_, i) => i + 1),
    );
    // no other key storage provider sends one
    expect(leaves(atomicOf(profile()))['Add Install/ContainerName']).toBeUndefined();
  });

  it('the Windows device model takes the WHfB payload (no SyncML problem) with the container named as for PKCS', () => {
    const ids = 'same-node';
    const c = compileProfile(whfb(), FACTS.windows, {
      ids: seededIds(ids),
      scep: { challenge: 'one-time-challenge', caThumbprint: THUMB },
    });
    if (!c.ok) throw new Error(c.outcome.message);
    const d = decodeSyncml(c.payload.bytes);
    if (!d.ok) throw new Error('the compiled message does not decode');
    const r = decodeScepInstalls(d.message);
    expect(r.problems).toEqual([]);
    expect(r.enrolments).toHaveLength(1);
    expect(r.enrolments[0]!.settings.keyProtection).toBe(4);
    // the PKCS compiler, given the same node id, names the container the same way
    const pkcs = compileProfile(
      pkcsProfile('windows', { keyStorageProvider: 'usePassportForWorkKspOtherwiseFail' }),
      FACTS.windows,
      { ids: seededIds(ids), issued: fixedIdentity() },
    );
    if (!pkcs.ok) throw new Error(pkcs.outcome.message);
    const pd = decodeSyncml(pkcs.payload.bytes);
    if (!pd.ok) throw new Error('the PKCS message does not decode');
    const pfx = decodePfxInstalls(pd.message).installs[0]!.install;
    expect(pfx.containerName).toBeDefined();
    expect(r.enrolments[0]!.settings.containerName).toBe(pfx.containerName);
  });

  it('a SAN given twice (the UPN flag and a custom UPN SAN) is sent once, the first kept', () => {
    const l = leaves(atomicOf(profile({ subjectAlternativeNameType: ['userPrincipalName'] })));
    expect(l['Add Install/SubjectAlternativeNames']).toBe('11+ada@contoso.com;3+ADA-DEVICE.contoso.com');
    const twice = leaves(
      atomicOf(
        profile({
          customSubjectAlternativeNames: [
            { sanType: 'domainNameService', name: '{{DeviceName}}.contoso.com' },
            { sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' },
            { sanType: 'domainNameService', name: 'ADA-DEVICE.contoso.com' },
            // the same value as another type is another SAN
            { sanType: 'emailAddress', name: '{{UserPrincipalName}}' },
          ],
        }),
      ),
    );
    expect(twice['Add Install/SubjectAlternativeNames']).toBe(
      '3+ADA-DEVICE.contoso.com;11+ada@contoso.com;2+ada@contoso.com',
    );
  });

  it('EKUs reach EKUMapping, and the profile says the CA’s template decides the certificate’s EKUs', () => {
    const p = profile();
    expect(leaves(atomicOf(p))['Add Install/EKUMapping']).toBe('1.3.6.1.5.5.7.3.2+1.3.6.1.4.1.311.20.2.2');
    const unused = unusedSettingsOf(p).filter((u) => u.path === 'extendedKeyUsages');
    expect(unused).toHaveLength(1);
    expect(unused[0]!.code).toBe('PROFILE_SETTING_UNUSED');
    expect(unused[0]!.advice).toMatch(/template/);
    expect(unused[0]!.advice).toMatch(/applicationPolicies/);
    expect(unusedSettingsOf(profile({ extendedKeyUsages: [] }))).toEqual([]);
  });
});
