/**
 * Issue 10 point 3 — agents never retried: a lost enrol request or answer left the device unenrolled for
 * ever. The agent now re-sends the same request with backoff on its clock (virtual time, never wall time)
 * until an answer comes, and stops on an answer or a refusal.
 */
import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import { DeviceAgent, ENROL_RETRY_FIRST_MS } from '../../../agent/runtime/device-agent.ts';
import { createCertificate } from '../../../pki/certificate.ts';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import type { EnrollResponse } from '../../../protocol/wire/messages.ts';
import { enrolledTopic, parseDeviceTopic } from '../../../protocol/wire/topics.ts';
import type { MessageHandler, Transport } from '../../../protocol/transport/transport.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const TENANT = 'contoso';
const START = new Date('2026-01-01T00:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

function world() {
  const clock = new VirtualClock(START);
  const device = generateDevice({
    seed: 'enrol-retry',
    index: 0,
    platform: 'android',
    kind: 'fully-managed',
  });
  const sent: { at: number; topic: string; payload: Buffer }[] = [];
  const handlers: MessageHandler[] = [];
  const transport: Transport = {
    clientId: device.id,
    publish: async (topic, payload) => void sent.push({ at: clock.now().getTime(), topic, payload }),
    subscribe: async (_filter, handler) => void handlers.push(handler),
    close: async () => undefined,
  };
  const key = poolKey('p256', 0);
  const agent = new DeviceAgent({
    device,
    tenant: TENANT,
    db: StoreDb.open(':memory:'),
    clock,
    scheduler: clock,
    transport,
    adapter: PLATFORM_ADAPTERS.android,
    keys: new FixedKeySource([key]),
    checkInIntervalMs: 8 * HOUR,
  });
  const answer = async (r: EnrollResponse): Promise<void> => {
    for (const h of handlers)
      await h({ topic: enrolledTopic(TENANT, device.id), payload: Buffer.from(JSON.stringify(r)) });
  };
  const enrolSends = () => sent.filter((s) => parseDeviceTopic(TENANT, s.topic)?.kind === 'enroll');
  const certificate = createCertificate({
    subject: `CN=${device.id}`,
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: '01',
    notBefore: START,
    notAfter: new Date(START.getTime() + 365 * 24 * HOUR),
  });
  return { clock, device, agent, answer, enrolSends, certificate };
}

describe('issue 10 point 3: a lost enrol request or answer no longer leaves the device unenrolled for ever', () => {
  it('re-sends the same request with doubling backoff on the virtual clock, capped at the check-in interval', async () => {
    const w = world();
    await w.agent.start();
    await w.clock.runUntil(START.getTime() + 24 * HOUR);
    const at = w.enrolSends().map((s) => (s.at - START.getTime()) / MIN);
    // 0, +15, +30, +60, +120, +240, +480 (capped: 8 h), then every 8 h within the day
    expect(at.slice(0, 7)).toEqual([0, 15, 45, 105, 225, 465, 945]);
    expect(at[7]).toBe(945 + 480);
    expect(ENROL_RETRY_FIRST_MS).toBe(15 * MIN);
    const bodies = new Set(w.enrolSends().map((s) => s.payload.toString('hex')));
    expect(bodies.size).toBe(1); // the same key and CSR: any answer is accepted
    expect(w.agent.enrolled).toBe(false);
  });

  it('stops re-sending once the answer comes', async () => {
    const w = world();
    await w.agent.start();
    await w.clock.runUntil(START.getTime() + 50 * MIN); // two re-sends
    expect(w.enrolSends()).toHaveLength(3);
    await w.answer({ type: 'enrolled', deviceId: w.device.id, certificate: w.certificate.pem, chain: [] });
    expect(w.agent.enrolled).toBe(true);
    await w.clock.runUntil(START.getTime() + 3 * 24 * HOUR);
    expect(w.enrolSends()).toHaveLength(3);
  });

  it('stops re-sending on a refusal', async () => {
    const w = world();
    await w.agent.start();
    await w.answer({
      type: 'enroll-refused',
      deviceId: w.device.id,
      code: 'ENROLL_PLATFORM_BLOCKED',
      message: 'blocked',
    });
    await w.clock.runUntil(START.getTime() + 3 * 24 * HOUR);
    expect(w.enrolSends()).toHaveLength(1);
  });
});
