/**
 * The device side's reading of ClientCertificateInstall/SCEP (profiles/windows/scep-install-decode.ts): what
 * the compiler sends for a Windows SCEP profile comes back as the same settings, and every leaf it cannot take
 * is a problem on the right command with the status a device answers (404, 405, 415, 418, 500 on the Exec).
 */
import { describe, expect, it } from 'vitest';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { decodeScepInstalls } from '../../../profiles/windows/scep-install-decode.ts';
import {
  buildScepInstallAtomic,
  scepLocUri,
  type ScepInstall,
} from '../../../profiles/windows/scep-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import type {
  SyncmlCommand,
  SyncmlContainer,
  SyncmlMessage,
} from '../../../profiles/windows/syncml-model.ts';
import { FACTS } from '../compile/fixtures.ts';

const ROOT_SHA1 = '289259B0556C0C0C6CAE8D4053C5928B063BB242';
const ID = 'B9FC6B2E-DE82-49D9-A5BB-5A0E2286DE0D';

function profile(): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family: 'windows',
    displayName: 'PC SCEP',
    certificateType: 'user',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    customSubjectAlternativeNames: [{ sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' }],
    extendedKeyUsages: [{ name: 'Client Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.2' }],
    keySize: 'size4096',
    keyStorageProvider: 'useSoftwareKsp',
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

function msg(body: SyncmlCommand[]): SyncmlMessage {
  return {
    header: { verDtd: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: 1, target: 'dev', source: 'srv' },
    body,
    final: true,
  };
}

const install = (leaves: ScepInstall['leaves'] = {}): ScepInstall => ({
  scope: 'Device',
  uniqueId: ID,
  leaves: {
    ServerURL: 'http://127.0.0.1:1/scep;http://127.0.0.1:2/scep',
    Challenge: 'one-time-secret',
    SubjectName: 'CN=PC-1',
    KeyUsage: '160',
    CAThumbprint: ROOT_SHA1,
    ...leaves,
  },
});

/** The problems of an Atomic built from `leaves`, as [status, text] pairs. */
function problemsOf(atomic: SyncmlContainer): [unknown, string][] {
  return decodeScepInstalls(msg([atomic])).problems.map((p) => [p.details['status'], p.message]);
}

describe('ClientCertificateInstall/SCEP decode', () => {
  it('reads back what the compiler sends for a Windows SCEP profile', () => {
    const c = compileProfile(profile(), FACTS.windows, {
      ids: seededIds('scep-decode'),
      scep: {
        url: 'http://127.0.0.1:8080/certsrv/mscep/mscep.dll',
        challenge: 'secret-1',
        caThumbprint: ROOT_SHA1,
      },
    });
    if (!c.ok) throw new Error(c.outcome.message);
    const d = decodeSyncml(c.payload.bytes);
    if (!d.ok) throw new Error('the compiled message does not decode');
    const r = decodeScepInstalls(d.message);
    expect(r.problems).toEqual([]);
    expect(r.enrolments).toHaveLength(1);
    const op = r.enrolments[0]!;
    expect(op.scope).toBe('User');
    expect(op.settings).toMatchObject({
      serverUrls: ['http://127.0.0.1:8080/certsrv/mscep/mscep.dll'],
      challenge: 'secret-1',
      subjectName: expect.stringMatching(/^CN=[^,]+,O=Contoso$/),
      keyUsage: 0xa0,
      keyLength: 4096,
      keyProtection: 3,
      ekus: ['1.3.6.1.5.5.7.3.2'],
      caThumbprint: ROOT_SHA1,
      retryCount: 3,
      retryDelay: 5,
      validPeriod: 'Years',
      validPeriodUnits: 1,
    });
    expect(op.settings.sans).toEqual([{ type: 'upn', value: expect.stringContaining('@') }]);
    expect(op.settings.hashAlgorithms).toContain('SHA-2');
  });

  it('takes the CCI defaults and several ServerURLs, RetryCount and RetryDelay', () => {
    const r = decodeScepInstalls(msg([buildScepInstallAtomic(install(), 10)]));
    expect(r.problems).toEqual([]);
    expect(r.enrolments[0]!.settings).toMatchObject({
      serverUrls: ['http://127.0.0.1:1/scep', 'http://127.0.0.1:2/scep'],
      keyLength: 2048,
      keyProtection: 3,
      retryCount: 3,
      retryDelay: 5,
      validPeriodUnits: 0,
      hashAlgorithms: ['SHA-2'],
      sans: [],
    });
    const atomic = buildScepInstallAtomic(install(), 10);
    const exec = atomic.children.pop()!;
    atomic.children.push(
      {
        kind: 'Add',
        cmdId: 40,
        items: [
          { target: `${scepLocUri('Device', ID)}/Install/RetryCount`, meta: { format: 'int' }, data: '7' },
        ],
      },
      {
        kind: 'Add',
        cmdId: 41,
        items: [
          { target: `${scepLocUri('Device', ID)}/Install/RetryDelay`, meta: { format: 'int' }, data: '2' },
        ],
      },
      { ...exec, cmdId: 42 },
    );
    expect(decodeScepInstalls(msg([atomic])).enrolments[0]!.settings).toMatchObject({
      retryCount: 7,
      retryDelay: 2,
    });
  });

  it('refuses values CCI does not allow on the Enroll Exec (500), never quoting the challenge', () => {
    const cases: [ScepInstall['leaves'], RegExp][] = [
      [{ KeyUsage: '64' }, /KeyUsage "64" must be a key-usage byte that includes 0x20/],
      [{ KeyLength: '3072' }, /KeyLength 3072 is not 1024, 2048 or 4096/],
      [{ KeyProtection: '5' }, /KeyProtection "5" is not a whole number from 1 to 4/],
      [{ HashAlgorithm: 'MD5' }, /HashAlgorithm "MD5" is not SHA-1, SHA-2 or SHA-3/],
      [{ SubjectAlternativeNames: '8+10.0.0.1' }, /entry "8\+10\.0\.0\.1" is not <type>\+<name>/],
      [{ CAThumbprint: 'ABC' }, /CAThumbprint "ABC" is not a SHA-1 thumbprint/],
      [{ ValidPeriod: 'Weeks' }, /ValidPeriod "Weeks" is not Days, Months or Years/],
      [{ EKUMapping: 'clientAuth' }, /EKUMapping "clientAuth" is not an OID/],
      [{ KeyProtection: '4' }, /KeyProtection 4 \(Windows Hello for Business\) needs Install\/ContainerName/],
    ];
    const noChallenge = buildScepInstallAtomic(install(), 1);
    noChallenge.children = noChallenge.children.filter(
      (c) => !JSON.stringify(c).includes('/Install/Challenge'),
    );
    const atomics: [SyncmlContainer, RegExp][] = [
      ...cases.map(([leaves, text]): [SyncmlContainer, RegExp] => [
        buildScepInstallAtomic(install(leaves), 1),
        text,
      ]),
      [noChallenge, /Install\/Challenge is required/],
    ];
    for (const [atomic, text] of atomics) {
      const r = decodeScepInstalls(msg([atomic]));
      expect(r.enrolments, String(text)).toEqual([]);
      const exec = atomic.children.at(-1)!;
      expect(r.problems.map((p) => [p.details['status'], p.details['cmdId']])).toContainEqual([
        500,
        exec.cmdId,
      ]);
      expect(r.problems.map((p) => p.message).join(' ')).toMatch(text);
      expect(r.problems.map((p) => p.message).join(' ')).not.toContain('one-time-secret');
    }
  });

  it('refuses AADKeyIdentifierList (not modelled), an Exec outside Atomic and an Exec not last', () => {
    const atomic = buildScepInstallAtomic(install(), 1);
    const exec = atomic.children.pop()!;
    atomic.children.push(
      {
        kind: 'Add',
        cmdId: 30,
        items: [{ target: `${scepLocUri('Device', ID)}/Install/AADKeyIdentifierList`, data: 'k1;k2' }],
      },
      exec,
    );
    expect(
      problemsOf(atomic)
        .map(([, m]) => m)
        .join(' '),
    ).toMatch(/AADKeyIdentifierList names Entra ID device keys/);

    const loose = buildScepInstallAtomic(install(), 1);
    expect(
      problemsOf({ ...loose, kind: 'Sequence' })
        .map(([, m]) => m)
        .join(' '),
    ).toMatch(/not inside <Atomic>/);

    const notLast = buildScepInstallAtomic(install(), 1);
    const e = notLast.children.pop()!;
    const lastAdd = notLast.children.pop()!;
    notLast.children.push(e, lastAdd);
    expect(
      problemsOf(notLast)
        .map(([, m]) => m)
        .join(' '),
    ).toMatch(/not the last command of its Atomic/);
  });

  it('answers 404, 405, 415 and 418 on the command that carried the leaf', () => {
    const base = scepLocUri('Device', ID);
    const atomic = buildScepInstallAtomic(install(), 1);
    const exec = atomic.children.pop()!;
    atomic.children.push(
      { kind: 'Add', cmdId: 50, items: [{ target: `${base}/Install/Colour`, data: 'red' }] },
      { kind: 'Add', cmdId: 51, items: [{ target: `${base}/Status`, meta: { format: 'int' }, data: '1' }] },
      {
        kind: 'Add',
        cmdId: 52,
        items: [{ target: `${base}/Install/KeyLength`, meta: { format: 'chr' }, data: '2048' }],
      },
      { kind: 'Add', cmdId: 53, items: [{ target: `${base}/Install/SubjectName`, data: 'CN=again' }] },
      { kind: 'Replace', cmdId: 54, items: [{ target: `${base}/Install/Enroll` }] },
      exec,
    );
    const r = decodeScepInstalls(msg([atomic]));
    const byCmd = Object.fromEntries(r.problems.map((p) => [p.details['cmdId'], p.details['status']]));
    expect(byCmd).toMatchObject({ 50: 404, 51: 405, 52: 415, 53: 418, 54: 405 });
  });

  it('reads a Delete of the node, and refuses a Delete of one of its leaves', () => {
    const base = scepLocUri('User', ID);
    const r = decodeScepInstalls(
      msg([
        { kind: 'Delete', cmdId: 2, items: [{ target: base }] },
        { kind: 'Delete', cmdId: 3, items: [{ target: `${base}/Install/Challenge` }] },
      ]),
    );
    expect(r.deletes).toEqual([{ cmdId: 2, scope: 'User', uniqueId: ID }]);
    expect(r.problems.map((p) => [p.details['cmdId'], p.details['status']])).toEqual([[3, 405]]);
  });
});
