/**
 * The clock protocol's messages, topics and ACL: every message round-trips; a malformed one is a
 * CLOCK_PROTOCOL error naming what is wrong; a host may publish only under its own clock topics and read
 * only the control topic.
 */
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import {
  decodeCtlMessage,
  decodeHostMessage,
  encodeClockMessage,
  type CtlMessage,
  type HostReportMessage,
  type JoinMessage,
} from '../../../protocol/wire/clock-messages.ts';
import { aclAllows, type BrokerIdentity } from '../../../protocol/wire/topic-acl.ts';
import {
  clockCtlTopic,
  clockHostsFilter,
  clockJoinTopic,
  clockReportTopic,
  parseClockTopic,
} from '../../../protocol/wire/topics.ts';
import { renderAclFile } from '../../../simulator/broker/mosquitto.ts';
import { CredentialTable } from '../../../simulator/broker/credential-table.ts';

const T = Date.UTC(2025, 0, 1);

const HOST_MESSAGES: Array<JoinMessage | HostReportMessage> = [
  {
    type: 'join',
    host: 'h1',
    shard: { index: 1, count: 2 },
    digest: 'sha256:ab',
    seed: '42',
    devices: 100,
    incarnation: 'i-1',
  },
  { type: 'alive', host: 'h1', incarnation: 'i-1', run: 'r', wave: 3 },
  {
    type: 'report',
    host: 'h1',
    incarnation: 'i-1',
    run: 'r',
    wave: 3,
    t: T,
    idle: true,
    nextAt: null,
    counters: { 'dev-1': [2, 3] },
    progress: { enrolled: 5 },
    events: [{ seq: 0, data: { kind: 'renewal-deferred', device: 'dev-1' } }],
  },
  {
    type: 'stores',
    host: 'h1',
    incarnation: 'i-1',
    run: 'r',
    part: 1,
    parts: 2,
    items: [
      {
        deviceId: 'dev-1',
        store: 'ios/keychain',
        kind: 'identity',
        ref: 'com.certfleet.profile.1',
        subject: 'CN=dev-1',
        issuer: 'CN=Certfleet Issuing CA',
        thumbprint: 'AB12',
        notBefore: '2025-01-01T00:00:00.000Z',
        notAfter: '2026-01-01T00:00:00.000Z',
        installedAt: '2025-01-01T00:00:00.000Z',
        attrs: { exportable: false, nested: { ksp: 'software' } },
      },
    ],
  },
];
const CTL_MESSAGES: CtlMessage[] = [
  { type: 'start', run: 'r', t: T, wave: 0 },
  { type: 'start', run: 'r', t: T, wave: 7, host: 'h1' },
  { type: 'step', run: 'r', t: T, wave: 1 },
  { type: 'probe', run: 'r', t: T, wave: 2, host: 'h2' },
  { type: 'collect', run: 'r', t: T },
  { type: 'collect', run: 'r', t: T, host: 'h2' },
  { type: 'end', run: 'r', t: T, reason: 'done' },
  { type: 'end', run: 'r', t: T, reason: 'error', message: 'stalled', code: 'RUN_STALLED' },
];

function problem(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isCertfleetError(e, 'CLOCK_PROTOCOL')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('decoded without complaint');
}

describe('clock messages', () => {
  it.each(HOST_MESSAGES.map((m) => [m.type, m] as const))('%s round-trips', (_type, m) => {
    expect(decodeHostMessage('t', encodeClockMessage(m))).toEqual(m);
  });

  it.each(CTL_MESSAGES.map((m) => [m.type, m] as const))('%s round-trips', (_type, m) => {
    expect(decodeCtlMessage('t', encodeClockMessage(m))).toEqual(m);
  });

  const report = HOST_MESSAGES[2] as HostReportMessage;
  const withReport = (patch: Record<string, unknown>): Buffer =>
    Buffer.from(JSON.stringify({ v: 1, ...report, ...patch }));

  it.each([
    ['not JSON', Buffer.from('{'), /is not JSON/],
    ['an array', Buffer.from('[]'), /is not a JSON object/],
    ['another version', Buffer.from('{"v":2,"type":"alive"}'), /v must be 1/],
    ['an unknown type', Buffer.from('{"v":1,"type":"hello"}'), /type must be join, report, alive or stores/],
    ['a missing key', withReport({ idle: undefined }), /idle is missing/],
    ['an extra key', withReport({ extra: 1 }), /extra is not a known key/],
    [
      'a negative counter',
      withReport({ counters: { 'dev-1': [1, -1] } }),
      /counters\.dev-1 must be \[sent, handled\]/,
    ],
    ['a bad device id', withReport({ counters: { 'a/b': [1, 1] } }), /counters\.a\/b must be/],
    ['a fractional instant', withReport({ t: 1.5 }), /t must be an instant/],
    ['a bad host id', withReport({ host: 'h/1' }), /host must match/],
    ['an event without seq', withReport({ events: [{ data: 1 }] }), /events\[0\]\.seq is missing/],
    [
      'a stores part out of range',
      Buffer.from(JSON.stringify({ v: 1, ...HOST_MESSAGES[3], part: 2 })),
      /part must be below parts \(2\)/,
    ],
    [
      'a store item with a key the snapshot does not keep',
      Buffer.from(
        JSON.stringify({
          v: 1,
          ...HOST_MESSAGES[3],
          items: [{ ...(HOST_MESSAGES[3] as { items: object[] }).items[0], privateKey: 'AAAA' }],
        }),
      ),
      /items\[0\]\.privateKey is not a known key/,
    ],
    [
      'a store item of another kind',
      Buffer.from(
        JSON.stringify({
          v: 1,
          ...HOST_MESSAGES[3],
          items: [{ ...(HOST_MESSAGES[3] as { items: object[] }).items[0], kind: 'secret' }],
        }),
      ),
      /items\[0\]\.kind must be one of certificate, key, identity/,
    ],
    [
      'a shard out of range',
      Buffer.from(JSON.stringify({ v: 1, ...HOST_MESSAGES[0], shard: { index: 2, count: 2 } })),
      /shard\.index must be below shard\.count \(2\)/,
    ],
  ])('refuses %s from a host with CLOCK_PROTOCOL', (_what, payload, pattern) => {
    expect(problem(() => decodeHostMessage('certfleet/acme/clock/host/h1/report', payload))).toMatch(pattern);
  });

  it.each([
    [
      'an end with another reason',
      { type: 'end', run: 'r', t: T, reason: 'maybe' },
      /reason must be done or error/,
    ],
    ['a step of wave 0', { type: 'step', run: 'r', t: T, wave: 0 }, /wave must be an integer ≥ 1/],
    ['a probe without run', { type: 'probe', t: T, wave: 1 }, /run is missing/],
  ])('refuses %s from the coordinator with CLOCK_PROTOCOL', (_what, m, pattern) => {
    expect(problem(() => decodeCtlMessage('clock/ctl', Buffer.from(JSON.stringify({ v: 1, ...m }))))).toMatch(
      pattern,
    );
  });
});

describe('clock topics and the host ACL', () => {
  const host: BrokerIdentity = { role: 'host', name: 'h1' };
  const service: BrokerIdentity = { role: 'service', name: 'svc' };
  const device: BrokerIdentity = { role: 'device', name: 'h1' };

  it('parses its own topics and nothing else', () => {
    expect(parseClockTopic('acme', clockCtlTopic('acme'))).toEqual({ kind: 'ctl' });
    expect(parseClockTopic('acme', clockJoinTopic('acme', 'h1'))).toEqual({ kind: 'join', hostId: 'h1' });
    expect(parseClockTopic('acme', clockReportTopic('acme', 'h1'))).toEqual({ kind: 'report', hostId: 'h1' });
    expect(parseClockTopic('acme', 'certfleet/acme/clock/host/h1/other')).toBeUndefined();
    expect(parseClockTopic('acme', 'certfleet/other/clock/ctl')).toBeUndefined();
  });

  it.each([
    { who: host, action: 'publish', topic: clockJoinTopic('acme', 'h1'), allowed: true },
    { who: host, action: 'publish', topic: clockReportTopic('acme', 'h1'), allowed: true },
    { who: host, action: 'publish', topic: clockReportTopic('acme', 'h2'), allowed: false },
    { who: host, action: 'publish', topic: clockCtlTopic('acme'), allowed: false },
    { who: host, action: 'publish', topic: 'certfleet/acme/device/h1/out/checkin', allowed: false },
    { who: host, action: 'subscribe', topic: clockCtlTopic('acme'), allowed: true },
    { who: host, action: 'subscribe', topic: clockHostsFilter('acme'), allowed: false },
    { who: service, action: 'publish', topic: clockCtlTopic('acme'), allowed: true },
    { who: service, action: 'subscribe', topic: clockHostsFilter('acme'), allowed: true },
    { who: device, action: 'subscribe', topic: clockCtlTopic('acme'), allowed: false },
  ] as const)('$who.role $action $topic: $allowed', ({ who, action, topic, allowed }) => {
    expect(aclAllows('acme', who, action, topic)).toBe(allowed);
  });

  it('renders a host account into the Mosquitto ACL file with the same rules', () => {
    const table = new CredentialTable([
      { role: 'host', name: 'h1', password: 'x' },
      { role: 'service', name: 'svc', password: 'y' },
    ]);
    const acl = renderAclFile('acme', table);
    expect(acl).toContain(
      'user h1\ntopic write certfleet/acme/clock/host/h1/#\ntopic read certfleet/acme/clock/ctl/#\n',
    );
    expect(acl).toContain('user svc\ntopic readwrite certfleet/acme/#\n');
    expect(() => new CredentialTable([{ role: 'host', name: 'h/1', password: 'x' }])).toThrow(
      /host id is a topic segment/,
    );
  });
});
