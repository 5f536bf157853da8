import { describe, expect, it } from 'vitest';
import {
  answerGets,
  buildDevInfoPackage,
  buildReply,
  pfxStatusValues,
  readReply,
  resultValue,
} from '../../../profiles/windows/device-reply.ts';
import { buildPfxInstallAtomic, pfxLocUri } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { encodeSyncml } from '../../../profiles/windows/syncml-encode.ts';
import type { SyncmlMessage, SyncmlStatus } from '../../../profiles/windows/syncml-model.ts';
import { PFX, SERVER_HEADER, UNIQUE_ID } from './fixtures.ts';
import { golden, goldenPath, xmllint } from '../../fixtures/golden.ts';

const install = buildPfxInstallAtomic(
  {
    scope: 'Device',
    uniqueId: UNIQUE_ID,
    keyLocation: 3,
    passwordEncryptionType: 0,
    password: 'p',
    keyExportable: false,
    pfxBlob: PFX,
  },
  2,
);
const blobCmdId = install.children.at(-1)!.cmdId;
const request: SyncmlMessage = {
  header: SERVER_HEADER,
  body: [
    install,
    {
      kind: 'Get',
      cmdId: 20,
      items: [
        { target: pfxLocUri('Device', UNIQUE_ID, 'Status') },
        { target: pfxLocUri('Device', UNIQUE_ID, 'Thumbprint') },
      ],
    },
  ],
  final: true,
};

function statuses(reply: SyncmlMessage): [number, string, number][] {
  return reply.body
    .filter((c): c is SyncmlStatus => c.kind === 'Status')
    .map((s) => [s.cmdRef, s.cmd, s.code]);
}

describe('device reply', () => {
  it('a successful PFX install: SyncHdr 200 with CmdRef 0, every command 200, Results for the Get (golden)', () => {
    const reply = buildReply({
      request,
      msgId: 1,
      results: new Map([
        [20, pfxStatusValues('Device', UNIQUE_ID, { status: 0, thumbprint: 'AB'.repeat(20) })],
      ]),
    });
    const bytes = encodeSyncml(reply);
    expect(bytes.toString()).toBe(golden('windows', 'status-reply-pfx-success.xml', bytes).toString());
    expect(xmllint(goldenPath('windows', 'status-reply-pfx-success.xml'))).toBe('');
    const decoded = decodeSyncml(bytes);
    expect(decoded.ok && decoded.message).toEqual(reply);
    expect(reply.header).toMatchObject({
      target: SERVER_HEADER.source,
      source: SERVER_HEADER.target,
      sessionId: '1',
    });
    expect(statuses(reply)).toEqual([
      [0, 'SyncHdr', 200],
      [2, 'Atomic', 200],
      ...install.children.map((c) => [c.cmdId, 'Add', 200]),
      [20, 'Get', 200],
    ]);
    const read = readReply(reply);
    expect(read.headerStatus?.msgRef).toBe(1);
    expect(resultValue(read, pfxLocUri('Device', UNIQUE_ID, 'Status'))).toBe('0');
    expect(resultValue(read, pfxLocUri('Device', UNIQUE_ID, 'Thumbprint'))).toBe('AB'.repeat(20));
    expect(read.results.get(20)?.cmdRef).toBe(20);
  });

  it.each([
    ['blob fails with 500', new Map([[blobCmdId, 500]]), blobCmdId, 500],
    ['KeyLocation fails with 405', new Map([[3, 405]]), 3, 405],
  ])('a failed Atomic (%s): Atomic 507, failing child its code, others 216', (_n, codes, failing, code) => {
    const reply = buildReply({ request: { ...request, body: [install] }, msgId: 2, codes });
    expect(statuses(reply)).toEqual([
      [0, 'SyncHdr', 200],
      [2, 'Atomic', 507],
      ...install.children.map((c) => [c.cmdId, 'Add', c.cmdId === failing ? code : 216]),
    ]);
    const decoded = decodeSyncml(encodeSyncml(reply));
    expect(decoded.ok && readReply(decoded.message).statuses.get(2)?.code).toBe(507);
  });

  it('nested Atomic → inner 500, parent 507; Get inside Atomic → 500', () => {
    const req: SyncmlMessage = {
      header: SERVER_HEADER,
      body: [
        {
          kind: 'Atomic',
          cmdId: 1,
          children: [
            {
              kind: 'Atomic',
              cmdId: 2,
              children: [{ kind: 'Add', cmdId: 3, items: [{ target: './X', data: '1' }] }],
            },
            { kind: 'Get', cmdId: 4, items: [{ target: './Y' }] },
            { kind: 'Add', cmdId: 5, items: [{ target: './Z', data: '1' }] },
          ],
        },
      ],
      final: true,
    };
    expect(statuses(buildReply({ request: req, msgId: 2 }))).toEqual([
      [0, 'SyncHdr', 200],
      [1, 'Atomic', 507],
      [2, 'Atomic', 500],
      [3, 'Add', 216],
      [4, 'Get', 500],
      [5, 'Add', 216],
    ]);
  });

  it('inventory: Gets answered from a {locUri: value} table, 404 for a node the device lacks', () => {
    const req: SyncmlMessage = {
      header: SERVER_HEADER,
      body: [
        {
          kind: 'Get',
          cmdId: 2,
          items: [{ target: './DevInfo/DevId' }, { target: './DevDetail/Ext/Microsoft/DNSComputerName' }],
        },
        { kind: 'Get', cmdId: 3, items: [{ target: './Vendor/MSFT/DeviceInstanceService/IMEI' }] },
        { kind: 'Get', cmdId: 4, items: [{ target: './Vendor/MSFT/DeviceStatus/DomainName' }] },
      ],
      final: true,
    };
    const answers = answerGets(req, {
      './DevInfo/DevId': '7F3A1C2E-0000-4000-8000-000000000001',
      './DevDetail/Ext/Microsoft/DNSComputerName': 'DESKTOP-CF0001',
      './Vendor/MSFT/DeviceStatus/DomainName': {
        data: 'corp.certfleet.test',
        format: 'chr',
        type: 'text/plain',
      },
    });
    const reply = buildReply({ request: req, msgId: 3, ...answers });
    expect(statuses(reply)).toEqual([
      [0, 'SyncHdr', 200],
      [2, 'Get', 200],
      [3, 'Get', 404],
      [4, 'Get', 200],
    ]);
    const decoded = decodeSyncml(encodeSyncml(reply));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const read = readReply(decoded.message);
    expect(resultValue(read, './DevDetail/Ext/Microsoft/DNSComputerName')).toBe('DESKTOP-CF0001');
    expect(resultValue(read, './Vendor/MSFT/DeviceInstanceService/IMEI')).toBeUndefined();
    expect(read.results.get(4)?.items[0]?.meta).toEqual({ format: 'chr', type: 'text/plain' });
  });

  it('the DevInfo package: Alert 1201 then a Replace with Source items, round-tripping', () => {
    const pkg = buildDevInfoPackage({
      sessionId: '1',
      msgId: 1,
      deviceId: 'DEV-1',
      serverUri: 'https://mdm.certfleet.test/omadm',
      values: {
        './DevInfo/DevId': 'DEV-1',
        './DevInfo/Man': 'Contoso',
        './DevInfo/Mod': 'Surface',
        './DevInfo/DmV': '1.3',
        './DevInfo/Lang': 'en-US',
      },
    });
    const decoded = decodeSyncml(encodeSyncml(pkg));
    expect(decoded.ok && decoded.message).toEqual(pkg);
    expect(pkg.body[0]).toMatchObject({ kind: 'Alert', code: 1201 });
  });
});
