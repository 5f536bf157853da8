import { describe, expect, it } from 'vitest';
import {
  buildPfxInstallAtomic,
  decodePfxInstalls,
  pfxLocUri,
  type PfxInstall,
} from '../../../profiles/windows/pfx-cert-install.ts';
import {
  buildTrustedCertAdd,
  decodeTrustedCertOperations,
  type TrustedCertInstall,
} from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { encodeSyncml } from '../../../profiles/windows/syncml-encode.ts';
import type { SyncmlMessage } from '../../../profiles/windows/syncml-model.ts';
import { golden, goldenPath, xmllint } from '../../fixtures/golden.ts';
import {
  addXml,
  CA_DER,
  CA_THUMB,
  envelope,
  PFX,
  ROOT_DER,
  ROOT_THUMB,
  SERVER_HEADER,
  UNIQUE_ID,
} from './fixtures.ts';

function message(body: SyncmlMessage['body']): SyncmlMessage {
  return { header: SERVER_HEADER, body, final: true };
}

function decoded(xml: string | Buffer): SyncmlMessage {
  const r = decodeSyncml(xml);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.message;
}

const trusted: [string, TrustedCertInstall][] = [
  [
    'trusted-root-device-root.xml',
    { scope: 'Device', store: 'Root', thumbprint: ROOT_THUMB, certificateDer: ROOT_DER },
  ],
  [
    'trusted-root-device-ca.xml',
    { scope: 'Device', store: 'CA', thumbprint: CA_THUMB, certificateDer: CA_DER },
  ],
  ['trusted-root-user-ca.xml', { scope: 'User', store: 'CA', thumbprint: CA_THUMB, certificateDer: CA_DER }],
];

describe.each(trusted)('RootCATrustedCertificates %s', (file, install) => {
  const bytes = encodeSyncml(message([buildTrustedCertAdd(install, 2)]));

  it('matches its golden file and is well-formed to xmllint', () => {
    expect(bytes.toString()).toBe(golden('windows', file, bytes).toString());
    expect(xmllint(goldenPath('windows', file))).toBe('');
  });

  it('decodes back to the same operation, without problems', () => {
    const result = decodeTrustedCertOperations(decoded(bytes));
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.operations).toEqual([{ ...install, command: 'Add', cmdId: 2 }]);
  });
});

describe('RootCATrustedCertificates builder refuses what Windows refuses', () => {
  it.each([
    [
      'User Root',
      { scope: 'User', store: 'Root', thumbprint: ROOT_THUMB, certificateDer: ROOT_DER },
      /not supported/,
    ],
    [
      'free-text thumbprint',
      { scope: 'Device', store: 'Root', thumbprint: 'MyOrgRootCA', certificateDer: ROOT_DER },
      /40 hex/,
    ],
    [
      'empty certificate',
      { scope: 'Device', store: 'CA', thumbprint: CA_THUMB, certificateDer: Buffer.alloc(0) },
      /empty/,
    ],
  ] as [string, TrustedCertInstall, RegExp][])('%s', (_n, install, pattern) => {
    expect(() => buildTrustedCertAdd(install, 1)).toThrow(pattern);
  });
});

const b64 = ROOT_DER.toString('base64');
const rcaUri = (rest: string, scope = 'Device'): string =>
  `./${scope}/Vendor/MSFT/RootCATrustedCertificates/${rest}`;

/** [name, body xml, status, message pattern] */
const rcaNegative: [string, string, number, RegExp][] = [
  [
    'User Root',
    addXml('2', rcaUri(`Root/${ROOT_THUMB}/EncodedCertificate`, 'User'), 'b64', b64),
    405,
    /not supported/,
  ],
  [
    'base64 with line breaks',
    addXml(
      '2',
      rcaUri(`Root/${ROOT_THUMB}/EncodedCertificate`),
      'b64',
      `${b64.slice(0, 8)}\n${b64.slice(8)}`,
    ),
    500,
    /line breaks/,
  ],
  [
    'invalid base64',
    addXml('2', rcaUri(`Root/${ROOT_THUMB}/EncodedCertificate`), 'b64', 'not*base64'),
    500,
    /not valid base64/,
  ],
  ['empty data', addXml('2', rcaUri(`Root/${ROOT_THUMB}/EncodedCertificate`), 'b64', ''), 500, /empty/],
  ['Format chr', addXml('2', rcaUri(`CA/${CA_THUMB}/EncodedCertificate`), 'chr', b64), 415, /Format chr/],
  ['no Format', addXml('2', rcaUri(`CA/${CA_THUMB}/EncodedCertificate`), undefined, b64), 415, /none/],
  [
    'unknown store',
    addXml('2', rcaUri(`My/${CA_THUMB}/EncodedCertificate`), 'b64', b64),
    404,
    /not a RootCATrustedCertificates store/,
  ],
  ['Get-only leaf', addXml('2', rcaUri(`CA/${CA_THUMB}/IssuedBy`), 'chr', 'x'), 405, /read-only/],
  ['unknown leaf', addXml('2', rcaUri(`CA/${CA_THUMB}/Foo`), 'chr', 'x'), 404, /does not exist/],
  [
    'Add of the hash node',
    addXml('2', rcaUri(`CA/${CA_THUMB}`), 'node', undefined),
    405,
    /EncodedCertificate leaf/,
  ],
];

describe('RootCATrustedCertificates decode reports illegal operations', () => {
  it.each(rcaNegative)('%s → status %i', (_n, body, status, pattern) => {
    const result = decodeTrustedCertOperations(decoded(envelope(body)));
    expect(result.operations).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.code).toBe('SYNCML_INVALID');
    expect(result.problems[0]!.message).toMatch(pattern);
    expect(result.problems[0]!.details).toMatchObject({ status, cmdId: 2 });
  });

  it('tolerates a free-text node name (FLEET) with a warning', () => {
    const result = decodeTrustedCertOperations(
      decoded(envelope(addXml('2', rcaUri('Root/MyOrgRootCA/EncodedCertificate'), 'b64', b64))),
    );
    expect(result.problems).toEqual([]);
    expect(result.operations).toMatchObject([{ thumbprint: 'MyOrgRootCA', store: 'Root', scope: 'Device' }]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]!.message).toMatch(/not a 40-hex/);
  });

  it('reads a Delete, treats no scope prefix as Device, and ignores other CSPs', () => {
    const body =
      `<Delete><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/MSFT/RootCATrustedCertificates/CA/${CA_THUMB}</LocURI></Target></Item></Delete>` +
      addXml('4', './Device/Vendor/MSFT/Policy/Config/X', 'int', '1');
    const result = decodeTrustedCertOperations(decoded(envelope(body)));
    expect(result.operations).toEqual([
      { command: 'Delete', cmdId: 3, scope: 'Device', store: 'CA', thumbprint: CA_THUMB },
    ]);
    expect(result.problems).toEqual([]);
  });
});

const pfxBase: PfxInstall = {
  scope: 'Device',
  uniqueId: UNIQUE_ID,
  keyLocation: 2,
  password: 'MIIBsQYJKoZIhvcNAQcDoIIBojCCAZ4CAQA=',
  passwordEncryptionType: 1,
  keyExportable: false,
  pfxBlob: PFX,
};

const pfxGolden: [string, PfxInstall][] = [
  ['pfx-device-keylocation1-enc1.xml', { ...pfxBase, keyLocation: 1 }],
  ['pfx-device-keylocation2-enc1.xml', pfxBase],
  [
    'pfx-device-keylocation3-exportable-enc0.xml',
    {
      ...pfxBase,
      keyLocation: 3,
      keyExportable: true,
      passwordEncryptionType: 0,
      password: 'clear-test-password',
    },
  ],
  [
    'pfx-user-keylocation4-enc1.xml',
    { ...pfxBase, scope: 'User', keyLocation: 4, containerName: 'certfleet-whfb-container' },
  ],
  [
    'pfx-user-keylocation3-enc0.xml',
    { ...pfxBase, scope: 'User', keyLocation: 3, passwordEncryptionType: 0, password: 'clear-test-password' },
  ],
];

describe.each(pfxGolden)('PFXCertInstall %s', (file, install) => {
  const atomic = buildPfxInstallAtomic(install, 2);
  const bytes = encodeSyncml(message([atomic]));

  it('matches its golden file and is well-formed to xmllint', () => {
    expect(bytes.toString()).toBe(golden('windows', file, bytes).toString());
    expect(xmllint(goldenPath('windows', file))).toBe('');
  });

  it('puts PFXCertBlob last inside the Atomic', () => {
    const last = atomic.children.at(-1);
    expect(last?.kind === 'Add' && last.items[0]?.target).toBe(
      pfxLocUri(install.scope, install.uniqueId, 'PFXCertBlob'),
    );
  });

  it('decodes back to the same install', () => {
    const result = decodePfxInstalls(decoded(bytes));
    expect(result.problems).toEqual([]);
    expect(result.installs).toEqual([
      {
        command: 'Add',
        blobCmdId: atomic.children.at(-1)!.cmdId,
        atomicCmdId: 2,
        install: { ...install, blobFormat: 'b64' },
      },
    ]);
  });
});

describe('PFXCertInstall builder refuses illegal combinations', () => {
  it.each([
    ['exportable with KeyLocation 2', { ...pfxBase, keyExportable: true }, /KeyLocation=3/],
    ['KeyLocation 4 without ContainerName', { ...pfxBase, keyLocation: 4 }, /ContainerName/],
    ['KeyLocation 5', { ...pfxBase, keyLocation: 5 }, /not 1–4/],
    ['EncryptionType 2 without store', { ...pfxBase, passwordEncryptionType: 2 }, /EncryptionStore/],
  ] as [string, PfxInstall, RegExp][])('%s', (_n, install, pattern) => {
    expect(() => buildPfxInstallAtomic(install, 1)).toThrow(pattern);
  });
});

const pfxUri = (leaf: string, scope = 'User', id = UNIQUE_ID): string =>
  `./${scope}/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/${id}/${leaf}`;
const blobB64 = PFX.toString('base64');
const atomic = (adds: string): string => `<Atomic><CmdID>1</CmdID>${adds}</Atomic>`;

/** [name, body xml, expected status, message pattern] */
const pfxNegative: [string, string, number, RegExp][] = [
  [
    'CCI example quirk: KeyLocation 2 with PFXKeyExportable true',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '2') +
        addXml('3', pfxUri('PFXKeyExportable'), 'bool', 'true') +
        addXml('4', pfxUri('PFXCertBlob'), 'b64', blobB64),
    ),
    500,
    /PFXKeyExportable is true with KeyLocation 2/,
  ],
  [
    'CCI example quirk: PFXCertBlob with Format chr',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '3') + addXml('3', pfxUri('PFXCertBlob'), 'chr', blobB64),
    ),
    415,
    /PFXCertBlob has Format chr/,
  ],
  [
    'CCI example quirk: blob before the other parameters',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '3') +
        addXml('3', pfxUri('PFXCertBlob'), 'b64', blobB64) +
        addXml('4', pfxUri('PFXCertPassword'), 'chr', 'x'),
    ),
    500,
    /PFXCertPassword comes after PFXCertBlob/,
  ],
  [
    'not inside Atomic',
    addXml('2', pfxUri('KeyLocation'), 'int', '3') + addXml('3', pfxUri('PFXCertBlob'), 'b64', blobB64),
    500,
    /not inside <Atomic>/,
  ],
  [
    'KeyLocation 4 without ContainerName',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '4') + addXml('3', pfxUri('PFXCertBlob'), 'b64', blobB64),
    ),
    500,
    /ContainerName/,
  ],
  [
    'KeyLocation 0',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '0') + addXml('3', pfxUri('PFXCertBlob'), 'b64', blobB64),
    ),
    500,
    /"0" is not 1–4/,
  ],
  [
    'KeyLocation missing',
    atomic(addXml('3', pfxUri('PFXCertBlob'), 'b64', blobB64)),
    500,
    /KeyLocation is missing/,
  ],
  [
    'EncryptionType 2 without EncryptionStore',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '3') +
        addXml('3', pfxUri('PFXCertPasswordEncryptionType'), 'int', '2') +
        addXml('4', pfxUri('PFXCertBlob'), 'b64', blobB64),
    ),
    500,
    /EncryptionStore/,
  ],
  [
    'EncryptionType 3',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '3') +
        addXml('3', pfxUri('PFXCertPasswordEncryptionType'), 'int', '3') +
        addXml('4', pfxUri('PFXCertBlob'), 'b64', blobB64),
    ),
    500,
    /not 0, 1 or 2/,
  ],
  [
    'PFXKeyExportable not a bool',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '3') +
        addXml('3', pfxUri('PFXKeyExportable'), 'bool', 'yes') +
        addXml('4', pfxUri('PFXCertBlob'), 'b64', blobB64),
    ),
    500,
    /not true or false/,
  ],
  [
    'blob not base64',
    atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '3') +
        addXml('3', pfxUri('PFXCertBlob'), 'b64', 'Base64_Encode_Cert_Blob'),
    ),
    500,
    /not valid single-line base64/,
  ],
  [
    'Replace on Get-only Thumbprint',
    `<Replace><CmdID>2</CmdID><Item><Target><LocURI>${pfxUri('Thumbprint')}</LocURI></Target><Meta><Format xmlns="syncml:metinf">chr</Format></Meta><Data>AB</Data></Item></Replace>`,
    405,
    /read-only/,
  ],
  ['Add on Get-only Status', atomic(addXml('2', pfxUri('Status'), 'int', '0')), 405, /read-only/],
  ['KeyLocation as chr', atomic(addXml('2', pfxUri('KeyLocation'), 'chr', '3')), 415, /takes int/],
  ['unknown leaf', atomic(addXml('2', pfxUri('KeyProtection'), 'int', '3')), 404, /does not exist/],
  [
    'same leaf added twice',
    atomic(addXml('2', pfxUri('KeyLocation'), 'int', '3') + addXml('3', pfxUri('KeyLocation'), 'int', '3')),
    418,
    /added twice/,
  ],
];

describe('PFXCertInstall decode reports illegal combinations (CCI)', () => {
  it.each(pfxNegative)('%s → status %i', (_n, body, status, pattern) => {
    const result = decodePfxInstalls(decoded(envelope(body)));
    expect(result.installs).toEqual([]);
    const hit = result.problems.find((p) => pattern.test(p.message));
    expect(hit, result.problems.map((p) => p.message).join('\n')).toBeDefined();
    expect(hit!.code).toBe('SYNCML_INVALID');
    expect(hit!.details.status).toBe(status);
    expect(typeof hit!.details.cmdId).toBe('number');
  });

  it('never puts the password in a problem message', () => {
    const body = atomic(
      addXml('2', pfxUri('KeyLocation'), 'int', '1') +
        addXml('3', pfxUri('PFXCertPassword'), 'chr', 'S3cret-P4ss') +
        addXml('4', pfxUri('PFXKeyExportable'), 'bool', 'true') +
        addXml('5', pfxUri('PFXCertBlob'), 'b64', blobB64),
    );
    const result = decodePfxInstalls(decoded(envelope(body)));
    expect(result.problems.length).toBeGreaterThan(0);
    expect(JSON.stringify(result.problems.map((p) => [p.message, p.details]))).not.toContain('S3cret');
  });

  it('reads a Delete of the install node and accepts an explicit Add of it', () => {
    const body =
      `<Delete><CmdID>2</CmdID><Item><Target><LocURI>./Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/${UNIQUE_ID}</LocURI></Target></Item></Delete>` +
      atomic(
        addXml(
          '3',
          `./Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/${UNIQUE_ID}`,
          'node',
          undefined,
        ) +
          addXml('4', pfxUri('KeyLocation', 'Device'), 'int', '3') +
          addXml('5', pfxUri('PFXCertBlob', 'Device'), 'bin', blobB64),
      );
    const result = decodePfxInstalls(decoded(envelope(body)));
    expect(result.problems).toEqual([]);
    expect(result.deletes).toEqual([{ cmdId: 2, scope: 'Device', uniqueId: UNIQUE_ID }]);
    expect(result.installs).toMatchObject([
      {
        blobCmdId: 5,
        atomicCmdId: 1,
        install: { keyLocation: 3, keyExportable: true, passwordEncryptionType: 0, blobFormat: 'bin' },
      },
    ]);
  });

  it('warns when parameters arrive without a blob', () => {
    const result = decodePfxInstalls(
      decoded(envelope(atomic(addXml('2', pfxUri('KeyLocation'), 'int', '3')))),
    );
    expect(result.installs).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(result.warnings[0]!.message).toMatch(/no PFXCertBlob/);
  });
});
