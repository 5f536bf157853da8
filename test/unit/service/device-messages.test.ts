/**
 * Issue 10 point 4: what a device publishes on its own topics is decoded strictly
 * (protocol/wire/device-messages-decode.ts). A malformed or hostile message is a WIRE_MESSAGE_INVALID naming
 * the key path; the service records it as an `invalid-message` event and changes nothing — before, the
 * handlers cast the JSON and a `csr: 5` or `outcomes: [null]` crashed inside them.
 */
import { describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../pki/errors.ts';
import {
  decodeDeviceMessage,
  decodeEnrollResponse,
  type DeviceMessageKind,
} from '../../../protocol/wire/device-messages-decode.ts';
import { deviceOutTopic } from '../../../protocol/wire/topics.ts';
import { pkcs, TENANT, toAll, world } from './harness.ts';

const DEV = 'dev-1';
const AT = '2026-03-01T08:00:00.000Z';
const enroll = {
  type: 'enroll',
  deviceId: DEV,
  platform: 'windows',
  kind: 'entra-joined',
  osVersion: '10.0.26100',
  ownership: 'corporate',
  inventory: { DevDetail: {} },
  csr: '-----BEGIN CERTIFICATE REQUEST-----',
};
const outcome = {
  type: 'outcome',
  deviceId: DEV,
  profileId: 'p1',
  at: AT,
  outcomes: [
    {
      device: DEV,
      platform: 'windows',
      payload: './Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/p1',
      status: 'failed',
      code: 'KSP_UNAVAILABLE',
      message: '',
      path: 'SyncML/SyncBody/Atomic/Add[1]',
      problems: [{ code: 'KSP_UNAVAILABLE', path: 'x', message: 'y' }],
      native: { platform: 'windows', syncml: 500, cspStatus: '0x80090030', intune: '0x87D101F4' },
    },
    {
      device: DEV,
      platform: 'ios',
      payload: 'com.example.p1',
      status: 'installed',
      code: 'OK',
      message: 'Installed.',
      native: {
        platform: 'ios',
        status: 'Error',
        errorChain: [{ ErrorCode: -25299, ErrorDomain: 'd', LocalizedDescription: '' }],
      },
    },
    {
      device: DEV,
      platform: 'android',
      payload: 'guid',
      status: 'failed',
      code: 'X',
      message: 'm',
      native: {
        platform: 'android',
        nonCompliance: { settingName: 'a', nonComplianceReason: 'b', fieldPath: 'c' },
      },
    },
  ],
};
const renew = {
  type: 'renew',
  deviceId: DEV,
  profileId: 'p1',
  thumbprint: 'AB'.repeat(20),
  notAfter: AT,
  at: AT,
};
const checkin = { type: 'checkin', deviceId: DEV, at: AT };

const decode = (kind: DeviceMessageKind, body: unknown, profile?: string) =>
  decodeDeviceMessage(
    't',
    kind,
    DEV,
    profile,
    Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  );

function failure(fn: () => unknown): { code: string; path: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CertfleetError);
    const c = e as CertfleetError;
    return { code: c.code, path: c.details?.path, message: c.message };
  }
  throw new Error('expected a failure');
}

describe('decodeDeviceMessage', () => {
  it('decodes each kind as the agent sends it, keeping every field a handler reads', () => {
    expect(decode('enroll', enroll)).toEqual(enroll);
    expect(decode('checkin', checkin)).toEqual(checkin);
    expect(decode('renew', renew, 'p1')).toEqual(renew);
    expect(decode('outcome', outcome, 'p1')).toEqual(outcome);
    // Android device administrator's native status (SyncML + admin center) is kept
    const admin = {
      ...outcome,
      outcomes: [
        {
          ...outcome.outcomes[2],
          native: { platform: 'android', deviceAdmin: { syncml: 406, console: 'Error' } },
        },
      ],
    };
    expect(decode('outcome', admin, 'p1')).toEqual(admin);
    // a report that only the trust of an installed identity changed (agent/runtime/trust-recheck.ts)
    expect(decode('outcome', { ...outcome, trustChange: true }, 'p1')).toEqual({
      ...outcome,
      trustChange: true,
    });
    expect(decode('outcome', outcome, 'p1')).not.toHaveProperty('trustChange');
    // an empty thumbprint asks to renew whichever certificate the device holds (handlers/renew.ts)
    expect(decode('renew', { ...renew, thumbprint: '' }, 'p1')).toMatchObject({ thumbprint: '' });
  });

  it.each([
    ['enroll', 'not json', undefined, undefined],
    ['enroll', [1], undefined, undefined],
    ['enroll', { ...enroll, type: 'checkin' }, undefined, 'type'],
    ['enroll', { ...enroll, deviceId: 'dev-2' }, undefined, 'deviceId'],
    ['enroll', { ...enroll, csr: 5 }, undefined, 'csr'],
    ['enroll', { ...enroll, platform: 'beos' }, undefined, 'platform'],
    ['enroll', { ...enroll, kind: 'nope' }, undefined, 'kind'],
    ['enroll', { ...enroll, inventory: null }, undefined, 'inventory'],
    ['enroll', { ...enroll, ownership: 'stolen' }, undefined, 'ownership'],
    ['checkin', { type: 'checkin', deviceId: DEV }, undefined, 'at'],
    ['renew', { ...renew, thumbprint: 'zz' }, 'p1', 'thumbprint'],
    ['renew', { ...renew, profileId: 'p2' }, 'p1', 'profileId'],
    ['outcome', { ...outcome, outcomes: 'x' }, 'p1', 'outcomes'],
    ['outcome', { ...outcome, trustChange: false }, 'p1', 'trustChange'],
    ['outcome', { ...outcome, outcomes: [null] }, 'p1', 'outcomes[0]'],
    [
      'outcome',
      { ...outcome, outcomes: [{ ...outcome.outcomes[0], status: 'great' }] },
      'p1',
      'outcomes[0].status',
    ],
    [
      'outcome',
      { ...outcome, outcomes: [{ ...outcome.outcomes[0], native: {} }] },
      'p1',
      'outcomes[0].native.platform',
    ],
    [
      'outcome',
      { ...outcome, outcomes: [{ ...outcome.outcomes[0], native: { platform: 'windows', syncml: '500' } }] },
      'p1',
      'outcomes[0].native.syncml',
    ],
    [
      'outcome',
      { ...outcome, outcomes: [{ ...outcome.outcomes[0], problems: [{}] }] },
      'p1',
      'outcomes[0].problems[0].code',
    ],
    [
      'outcome',
      {
        ...outcome,
        outcomes: [
          {
            ...outcome.outcomes[2],
            native: { platform: 'android', deviceAdmin: { syncml: 406, console: 'Fine' } },
          },
        ],
      },
      'p1',
      'outcomes[0].native.deviceAdmin.console',
    ],
  ] as const)('%s %j → WIRE_MESSAGE_INVALID at %s', (kind, body, profile, path) => {
    const f = failure(() => decode(kind, body, profile));
    expect(f.code).toBe('WIRE_MESSAGE_INVALID');
    if (path !== undefined) {
      expect(f.path).toBe(path);
      expect(f.message).toContain(path);
    }
  });
});

describe('decodeEnrollResponse', () => {
  const ok = { type: 'enrolled', deviceId: DEV, certificate: 'PEM', chain: ['A', 'B'] };
  const refused = { type: 'enroll-refused', deviceId: DEV, code: 'ENROLL_BLOCKED', message: '' };
  it('decodes both answers', () => {
    expect(decodeEnrollResponse('t', DEV, Buffer.from(JSON.stringify(ok)))).toEqual(ok);
    expect(decodeEnrollResponse('t', DEV, Buffer.from(JSON.stringify(refused)))).toEqual(refused);
  });
  it.each([
    [{ ...ok, chain: [1] }, 'chain[0]'],
    [{ ...ok, certificate: null }, 'certificate'],
    [{ ...ok, deviceId: 'other' }, 'deviceId'],
    [{ ...refused, code: 3 }, 'code'],
    [{ type: 'hello', deviceId: DEV }, 'type'],
  ])('%j → WIRE_MESSAGE_INVALID at %s', (body, path) => {
    const f = failure(() => decodeEnrollResponse('t', DEV, Buffer.from(JSON.stringify(body))));
    expect(f).toMatchObject({ code: 'WIRE_MESSAGE_INVALID', path });
  });
});

describe('the service takes in a malformed device message: an invalid-message event, nothing changed', () => {
  it('enrol, outcome and renew messages with bad fields leave no device, request or delivery behind', async () => {
    const w = await world({ assignments: [toAll('Wi-Fi', pkcs('windows'))] });
    const good = await w.enrol({ platform: 'windows' });
    const before = { devices: w.service.devices().length, outcomes: JSON.stringify(w.service.outcomes()) };
    const published = w.bus.published.length;
    const hostile = w.bus.transport('device-hostile');
    const send = (device: string, kind: 'enroll' | 'outcome' | 'renew', body: unknown, profile?: string) =>
      hostile.publish(deviceOutTopic(TENANT, device, kind, profile), Buffer.from(JSON.stringify(body)));
    await send('hostile-1', 'enroll', { ...enroll, deviceId: 'hostile-1', csr: 5 });
    await send(
      good.id,
      'outcome',
      { ...outcome, deviceId: good.id, profileId: 'Wi-Fi', outcomes: [null] },
      'Wi-Fi',
    );
    await send(good.id, 'renew', { ...renew, deviceId: good.id, profileId: 'Wi-Fi', thumbprint: 7 }, 'Wi-Fi');
    await w.settle();
    expect(w.bus.errors).toEqual([]);
    const invalid = w.service.events().filter((e) => e.type === 'invalid-message');
    expect(invalid.map((e) => e.detail)).toEqual([
      expect.stringMatching(/^enroll: .*csr must be a non-empty string/),
      expect.stringMatching(/^outcome: .*outcomes\[0\] must be an object/),
      expect.stringMatching(/^renew: .*thumbprint must be a string/),
    ]);
    expect(w.service.devices().length).toBe(before.devices);
    expect(JSON.stringify(w.service.outcomes())).toBe(before.outcomes);
    // nothing was answered: the service published no message in reply
    expect(w.bus.published.slice(published).filter((p) => !p.topic.includes('/out/'))).toEqual([]);
  });
});
