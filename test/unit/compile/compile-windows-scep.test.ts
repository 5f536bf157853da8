/**
 * Issue 14 point 2 (Windows device payload): a Windows SCEP profile compiles to one SyncML Atomic of
 * ClientCertificateInstall `SCEP/{UniqueID}/Install/…` Adds with the `Enroll` Exec last, in the user or
 * device scope, carrying the resolved names, the challenge and the key settings — and decodes strictly.
 */
import { describe, expect, it } from 'vitest';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import type { SyncmlContainer, SyncmlItemCommand } from '../../../profiles/windows/syncml-model.ts';
import { FACTS } from './fixtures.ts';

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
