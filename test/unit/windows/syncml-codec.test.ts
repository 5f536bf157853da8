import { describe, expect, it } from 'vitest';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { encodeSyncml } from '../../../profiles/windows/syncml-encode.ts';
import type { SyncmlCommand, SyncmlMessage } from '../../../profiles/windows/syncml-model.ts';
import { isKnownSyncmlStatus, SYNCML_STATUS_CODES } from '../../../profiles/windows/syncml-status-codes.ts';
import { addXml, envelope, SERVER_HEADER } from './fixtures.ts';

const item = { target: './Device/Vendor/MSFT/Test/Node', meta: { format: 'chr' as const }, data: 'v' };

const commands: [string, SyncmlCommand][] = [
  ['Add', { kind: 'Add', cmdId: 2, items: [item] }],
  [
    'Replace with command Meta',
    { kind: 'Replace', cmdId: 2, meta: { format: 'int' }, items: [{ target: './Vendor/MSFT/X', data: '3' }] },
  ],
  ['Delete', { kind: 'Delete', cmdId: 2, items: [{ target: './User/Vendor/MSFT/X' }] }],
  ['Get', { kind: 'Get', cmdId: 2, items: [{ target: './DevInfo/DevId' }, { target: './DevDetail/SwV' }] }],
  ['Exec', { kind: 'Exec', cmdId: 2, items: [{ target: './Device/Vendor/MSFT/X/Enroll' }] }],
  ['Alert 1201', { kind: 'Alert', cmdId: 2, code: 1201, items: [] }],
  [
    'Alert 1226 with item',
    {
      kind: 'Alert',
      cmdId: 2,
      code: 1226,
      items: [
        {
          source: './Vendor/MSFT/X',
          meta: { type: 'com.microsoft:mdm.SCEPcertinstall.result', format: 'int' },
          data: '0',
        },
      ],
    },
  ],
  ['Atomic', { kind: 'Atomic', cmdId: 2, children: [{ kind: 'Add', cmdId: 3, items: [item] }] }],
  [
    'Sequence with nested Atomic',
    {
      kind: 'Sequence',
      cmdId: 2,
      children: [{ kind: 'Atomic', cmdId: 3, children: [{ kind: 'Add', cmdId: 4, items: [item] }] }],
    },
  ],
  [
    'Status',
    {
      kind: 'Status',
      cmdId: 2,
      msgRef: 1,
      cmdRef: 0,
      cmd: 'SyncHdr',
      targetRefs: ['a'],
      sourceRefs: ['b'],
      code: 212,
      items: [],
    },
  ],
  [
    'Status with item',
    {
      kind: 'Status',
      cmdId: 2,
      msgRef: 3,
      cmdRef: 7,
      cmd: 'Add',
      targetRefs: [],
      sourceRefs: [],
      code: 507,
      items: [{ data: 'x' }],
    },
  ],
  [
    'Results',
    {
      kind: 'Results',
      cmdId: 2,
      msgRef: 1,
      cmdRef: 4,
      items: [{ source: './DevInfo/Man', meta: { format: 'chr' }, data: 'Contoso' }],
    },
  ],
  [
    'Results without MsgRef, with refs and Meta',
    {
      kind: 'Results',
      cmdId: 2,
      cmdRef: 4,
      meta: { format: 'node' },
      targetRef: 't',
      sourceRef: 's',
      items: [{ source: './X', data: 'A/B' }],
    },
  ],
  [
    'Replace from the device (Source items)',
    { kind: 'Replace', cmdId: 2, items: [{ source: './DevInfo/DevId', data: 'dev' }] },
  ],
];

const texts: [string, string][] = [
  ['empty data', ''],
  ['markup characters', 'a<b>&"\''],
  ['CR LF and tabs', 'line1\r\nline2\tx\r'],
  ['leading and trailing spaces', '  padded  '],
  ['non-ASCII', 'Zoë — 東京'],
];

describe('SyncML codec round trip', () => {
  it.each(commands)('%s: decode(encode(x)) equals x', (_name, cmd) => {
    const msg: SyncmlMessage = { header: SERVER_HEADER, body: [cmd], final: true };
    const result = decodeSyncml(encodeSyncml(msg));
    expect(result.ok ? result.message : result.problems.map((p) => p.message)).toEqual(msg);
  });

  it.each(texts)('Data with %s round-trips exactly', (_name, data) => {
    const msg: SyncmlMessage = {
      header: { ...SERVER_HEADER, maxMsgSize: 524288, respUri: 'https://mdm.certfleet.test/omadm?s=1' },
      body: [{ kind: 'Add', cmdId: 5, items: [{ target: './Vendor/MSFT/X', data }] }],
      final: false,
    };
    const result = decodeSyncml(encodeSyncml(msg));
    expect(result.ok && result.message).toEqual(msg);
  });

  it('is deterministic and keeps the raw bytes', () => {
    const msg: SyncmlMessage = {
      header: SERVER_HEADER,
      body: commands.map(([, c], i) => ({ ...c, cmdId: 100 + i }) as SyncmlCommand),
      final: true,
    };
    const a = encodeSyncml(msg);
    expect(encodeSyncml(structuredClone(msg)).equals(a)).toBe(true);
    expect(a.toString()).toContain('<SyncML xmlns="SYNCML:SYNCML1.2">');
    expect(a.toString()).toContain('<Format xmlns="syncml:metinf">chr</Format>');
    const r = decodeSyncml(a);
    expect(r.raw.equals(a)).toBe(true);
  });

  it('refuses to encode a character XML cannot carry', () => {
    const msg: SyncmlMessage = {
      header: SERVER_HEADER,
      body: [{ kind: 'Add', cmdId: 2, items: [{ target: './X', data: 'a\u0001' }] }],
      final: true,
    };
    expect(() => encodeSyncml(msg)).toThrow(/U\+0001/);
  });
});

describe('SyncML status code table', () => {
  it.each([200, 202, 212, 214, 215, 216, 400, 401, 403, 404, 405, 406, 415, 418, 425, 500, 507, 516])(
    '%i is known',
    (code) => {
      expect(isKnownSyncmlStatus(code)).toBe(true);
      expect(SYNCML_STATUS_CODES[code as keyof typeof SYNCML_STATUS_CODES].meaning.length).toBeGreaterThan(5);
    },
  );
  it.each([201, 213, 417, 501])('%i is not in the docs/formats.md §2.2 table', (code) => {
    expect(isKnownSyncmlStatus(code)).toBe(false);
  });
});

/** [name, xml, expected code, message pattern, expected line (parse errors)] */
const notWellFormed: [string, string, RegExp, number][] = [
  [
    'literal <InsertUniqueIDHere> in a LocURI (CCI SCEP example)',
    envelope(
      '\n<Add><CmdID>1</CmdID><Item><Target>\n<LocURI>./Device/Vendor/MSFT/ClientCertificateInstall/SCEP/<InsertUniqueIDHere>/Install/KeyUsage</LocURI></Target></Item></Add>',
    ),
    /InsertUniqueIDHere/,
    2,
  ],
  ['unclosed element', '<SyncML xmlns="SYNCML:SYNCML1.2">\n<SyncHdr>', /unclosed/, 1],
  [
    'bare ampersand',
    '<SyncML xmlns="SYNCML:SYNCML1.2">\n\n  <SyncHdr>a & b</SyncHdr></SyncML>',
    /bare "&"/,
    3,
  ],
  ['control character', '<SyncML xmlns="SYNCML:SYNCML1.2">\u0001</SyncML>', /U\+0001/, 1],
  ['extra content after the root', '<SyncML xmlns="SYNCML:SYNCML1.2"/>\n<x/>', /not well-formed/, 1],
  ['unquoted attribute', '<SyncML xmlns=SYNCML/>', /not well-formed/, 1],
];

describe('decodeSyncml: XML that is not well-formed → SYNCML_PARSE with line and column', () => {
  it.each(notWellFormed)('%s', (_name, xml, pattern, line) => {
    const r = decodeSyncml(xml);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    const p = r.problems[0]!;
    expect(p.code).toBe('SYNCML_PARSE');
    expect(p.message).toMatch(pattern);
    expect(p.details.line).toBeGreaterThanOrEqual(line);
    expect(typeof p.details.column).toBe('number');
    expect(r.raw.toString()).toBe(xml);
  });

  it('names the line of the literal placeholder', () => {
    const r = decodeSyncml(notWellFormed[0]![1]);
    expect(!r.ok && r.problems[0]!.details.line).toBe(3);
  });

  it('rejects bytes that are not UTF-8', () => {
    const r = decodeSyncml(Buffer.from([0x3c, 0x61, 0xff, 0x3e]));
    expect(!r.ok && r.problems[0]!.code).toBe('SYNCML_PARSE');
  });
});

/** [name, xml, path fragment, message pattern] */
const invalid: [string, string, string, RegExp][] = [
  [
    'missing CmdID',
    envelope('<Add><Item><Target><LocURI>./X</LocURI></Target></Item></Add>'),
    'SyncBody/Add[1]',
    /no <CmdID>/,
  ],
  [
    'non-numeric CmdID 313$ (CCI SCEP example)',
    envelope(addXml('313$', './X', 'chr', 'a')),
    'Add[1]/CmdID',
    /313\$/,
  ],
  [
    'CmdID placeholder $CmdID$ (CCI PFX example)',
    envelope(addXml('$CmdID$', './X', 'chr', 'a')),
    'Add[1]/CmdID',
    /\$CmdID\$/,
  ],
  ['CmdID 0', envelope(addXml('0', './X', 'chr', 'a')), 'Add[1]/CmdID', /positive integer/],
  [
    'duplicate CmdID',
    envelope(addXml('4', './X', 'chr', 'a') + addXml('4', './Y', 'chr', 'b')),
    'Add[2]/CmdID',
    /used twice/,
  ],
  [
    'non-command under SyncBody',
    envelope('<Item><Target><LocURI>./X</LocURI></Target></Item>'),
    'SyncBody/Item[1]',
    /not a SyncML command/,
  ],
  [
    'non-command under Atomic',
    envelope('<Atomic><CmdID>1</CmdID><Data>x</Data></Atomic>'),
    'Atomic[1]/Data[1]',
    /not a command allowed inside <Atomic>/,
  ],
  [
    'Status under Sequence',
    envelope('<Sequence><CmdID>1</CmdID><Status><CmdID>2</CmdID></Status></Sequence>'),
    'Sequence[1]/Status[1]',
    /not a command allowed/,
  ],
  [
    'LocURI starting with /',
    envelope(addXml('1', '/Device/Vendor/MSFT/X', 'chr', 'a')),
    'Target/LocURI',
    /cannot start with "\/"/,
  ],
  [
    '"." not first',
    envelope(addXml('1', './Device/./X', 'chr', 'a')),
    'Target/LocURI',
    /only valid as the first segment/,
  ],
  ['empty node name', envelope(addXml('1', './Device//X', 'chr', 'a')), 'Target/LocURI', /empty/],
  ['trailing slash', envelope(addXml('1', './Device/X/', 'chr', 'a')), 'Target/LocURI', /empty/],
  ['"*" node name', envelope(addXml('1', './Device/Vendor/*/X', 'chr', 'a')), 'Target/LocURI', /only "\*"/],
  ['bad % escape', envelope(addXml('1', './Vendor/MSFT/MS%2GDM', 'chr', 'a')), 'Target/LocURI', /%XX/],
  ['unknown Format', envelope(addXml('1', './X', 'string', 'a')), 'Meta/Format', /not one of/],
  [
    'Format outside syncml:metinf',
    envelope(
      '<Add><CmdID>1</CmdID><Item><Target><LocURI>./X</LocURI></Target><Meta><Format>chr</Format></Meta></Item></Add>',
    ),
    'Meta/Format',
    /syncml:metinf/,
  ],
  ['Get without items', envelope('<Get><CmdID>1</CmdID></Get>'), 'Get[1]', /at least one <Item>/],
  [
    'Get with Source',
    envelope('<Get><CmdID>1</CmdID><Item><Source><LocURI>./X</LocURI></Source></Item></Get>'),
    'Get[1]/Item[1]',
    /needs <Target>/,
  ],
  [
    'Data with element content',
    envelope(
      '<Add><CmdID>1</CmdID><Item><Target><LocURI>./X</LocURI></Target><Data><b/></Data></Item></Add>',
    ),
    'Item[1]/Data',
    /must hold text/,
  ],
  [
    'Status code not 3 digits',
    envelope(
      '<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>OK</Data></Status>',
    ),
    'Status[1]/Data',
    /3-digit/,
  ],
  [
    'Status Cmd unknown',
    envelope(
      '<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Cmd>Copy</Cmd><Data>200</Data></Status>',
    ),
    'Status[1]/Cmd',
    /not a SyncML command/,
  ],
  [
    'Final not last',
    envelope('<Final/><Get><CmdID>1</CmdID><Item><Target><LocURI>./X</LocURI></Target></Item></Get>'),
    'Final[1]',
    /last element/,
  ],
  ['wrong root namespace (CCI example has none)', envelope('', ''), 'SyncML', /namespace "SYNCML:SYNCML1.2"/],
  ['wrong VerDTD', envelope('').replace('<VerDTD>1.2', '<VerDTD>1.1'), 'SyncHdr/VerDTD', /1\.2/],
  [
    'missing SyncHdr',
    '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncBody><Final/></SyncBody></SyncML>',
    'SyncML',
    /<SyncHdr> is required/,
  ],
  [
    'unknown header element',
    envelope('').replace('<SessionID>', '<Cred/><SessionID>'),
    'SyncHdr/Cred',
    /not allowed/,
  ],
];

describe('decodeSyncml: structure errors → SYNCML_INVALID with an element path', () => {
  it.each(invalid)('%s', (_name, xml, path, pattern) => {
    const r = decodeSyncml(xml);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.every((p) => p.code === 'SYNCML_INVALID')).toBe(true);
    const hit = r.problems.find((p) => pattern.test(p.message));
    expect(hit, r.problems.map((p) => p.message).join('\n')).toBeDefined();
    expect(String(hit!.details.path)).toContain(path);
    expect(hit!.details.status).toBe(400);
  });

  it('reports every problem, not only the first', () => {
    const r = decodeSyncml(envelope(addXml('x', '/A', 'chr', 'a') + addXml('2', './B/*', 'chr', 'a')));
    expect(!r.ok && r.problems.length).toBe(3);
  });

  it('gives the line of the offending element', () => {
    const r = decodeSyncml(envelope(`\n\n${addXml('1', '/A', 'chr', 'a')}`));
    expect(!r.ok && r.problems[0]!.details.line).toBe(3);
  });
});
