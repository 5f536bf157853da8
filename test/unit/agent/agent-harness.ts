/**
 * A DeviceAgent on a virtual clock, without a service: the agent enrols against a scripted answer, its store
 * is seeded with one profile identity of a chosen lifetime, and every message it publishes is recorded, so a
 * test can run check-ins over months of clock time and count what the agent asked for or reported.
 */
import type { Device } from '../../../agent/device/device.ts';
import { generateDevice, type DeviceOverrides } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { RenewalDecision } from '../../../agent/renewal/renewal.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import { DeviceAgent } from '../../../agent/runtime/device-agent.ts';
import type { EnrollResponse, OutcomeReport, RenewRequest } from '../../../protocol/wire/messages.ts';
import { enrolledTopic, parseDeviceTopic } from '../../../protocol/wire/topics.ts';
import type { MessageHandler, Transport } from '../../../protocol/transport/transport.ts';
import { createCertificate } from '../../../pki/certificate.ts';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import type { EnrollmentKind, Platform } from '../../../profiles/model/platform.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

export const TENANT = 'contoso';
export const START = new Date('2026-01-01T00:00:00Z');
export const DAY = 86_400_000;
/** The profile id and store ref of the seeded certificate. */
export const PROFILE_ID = 'wifi-pkcs';
export const REF = 'com.contoso.wifi.pkcs';

/** Options of {@link agentWithCertificate}. */
export interface AgentWorldOptions {
  platform: Platform;
  kind?: EnrollmentKind;
  /** The profile's renewal threshold (percent); left out, the profile says nothing (default 20). */
  threshold?: number;
  /** Lifetime of the seeded certificate (default 100 days: one day is 1 % of it). */
  lifetimeMs?: number;
  /** The agent's check-in interval (default 1 day). */
  checkInIntervalMs?: number;
  /** Whether the (Apple) device is locked; read at each check-in. */
  locked?: () => boolean;
  overrides?: DeviceOverrides;
}

/** Every publish of the agent. */
interface Sent {
  topic: string;
  payload: Buffer;
}

/** Starts an enrolled DeviceAgent whose store holds one profile identity valid from START for the lifetime. */
export async function agentWithCertificate(o: AgentWorldOptions) {
  const clock = new VirtualClock(START);
  const lifetime = o.lifetimeMs ?? 100 * DAY;
  const device: Device = generateDevice({
    seed: 'agent-harness',
    index: 0,
    platform: o.platform,
    ...(o.kind !== undefined && { kind: o.kind }),
    overrides: { lockState: 'unlocked', ...o.overrides },
  });
  const db = StoreDb.open(':memory:');
  db.putItem({
    deviceId: device.id,
    store: `${o.platform}/test`,
    kind: 'identity',
    ref: REF,
    thumbprint: 'AB'.repeat(20),
    subject: 'CN=Ada Lovelace',
    issuer: 'CN=Certfleet Issuing CA',
    notBefore: START.toISOString(),
    notAfter: new Date(START.getTime() + lifetime).toISOString(),
    certificate: Buffer.from([0x30, 0x00]),
    attrs: {},
    installedAt: START.toISOString(),
  });
  db.putProfile({
    deviceId: device.id,
    ref: REF,
    contentHash: 'seeded',
    installedAt: START.toISOString(),
    meta: { profileId: PROFILE_ID, ...(o.threshold !== undefined && { renewalThreshold: o.threshold }) },
  });
  const sent: Sent[] = [];
  const handlers: { filter: string; handler: MessageHandler }[] = [];
  const transport: Transport = {
    clientId: device.id,
    publish: async (topic, payload) => void sent.push({ topic, payload }),
    subscribe: async (filter, handler) => void handlers.push({ filter, handler }),
    close: async () => undefined,
  };
  const deferred: RenewalDecision[] = [];
  const key = poolKey('rsa2048', 2);
  const agent = new DeviceAgent({
    device,
    tenant: TENANT,
    db,
    clock,
    scheduler: clock,
    transport,
    adapter: PLATFORM_ADAPTERS[o.platform],
    keys: new FixedKeySource([key]),
    checkInIntervalMs: o.checkInIntervalMs ?? DAY,
    ...(o.locked !== undefined && { isLocked: o.locked }),
    onRenewalDeferred: (d) => void deferred.push(d),
  });
  await agent.start();
  // The service's enrollment answer: a management certificate for the agent's key.
  const certificate = createCertificate({
    subject: `CN=${device.id}`,
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: '01',
    notBefore: START,
    notAfter: new Date(START.getTime() + 3650 * DAY),
  });
  const answerEnrol = async (pem: string): Promise<void> => {
    const answer: EnrollResponse = { type: 'enrolled', deviceId: device.id, certificate: pem, chain: [] };
    for (const h of handlers) {
      await h.handler({
        topic: enrolledTopic(TENANT, device.id),
        payload: Buffer.from(JSON.stringify(answer)),
      });
    }
  };
  await answerEnrol(certificate.pem);
  const ofKind = (kind: string) => sent.filter((s) => parseDeviceTopic(TENANT, s.topic)?.kind === kind);
  const json = <T>(s: Sent): T => JSON.parse(s.payload.toString('utf8')) as T;
  return {
    agent,
    device,
    db,
    clock,
    deferred,
    /** The agent's key and the management certificate of the first enrolment answer. */
    key,
    certificate,
    /** Delivers another enrolment answer (a PEM certificate) to the agent's inbox. */
    answerEnrol,
    /** Runs the clock until `fraction` of the certificate's lifetime has elapsed. */
    runTo: (fraction: number) => clock.runUntil(START.getTime() + fraction * lifetime),
    renewRequests: () => ofKind('renew').map((s) => json<RenewRequest>(s)),
    outcomeReports: () => ofKind('outcome').map((s) => json<OutcomeReport>(s)),
    checkIns: () => ofKind('checkin').length,
  };
}
