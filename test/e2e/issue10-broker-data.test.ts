/**
 * Issue 10 point 3 — `certfleet broker --data DIR` keeps persistent sessions across a restart: a device's
 * persistent session with QoS 1 messages queued for it survives a SIGKILL of the broker process and a
 * restart on the same folder; without `--data` the same sequence loses them (so the test can fail).
 * Embedded aedes (SQLite persistence, written before the PUBACK) and Mosquitto (its persistence
 * database, saved at the end of each pass of its event loop that changed something: the broker is killed
 * as soon as the service has had the answer to one packet after its last publish — answered in a later
 * pass —, never after waiting for a snapshot; saved every second, as it was, the session opened and the
 * messages queued just before were gone).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../agent/device/generate.ts';
import { freePort } from '../../simulator/broker/free-port.ts';
import { derivePassword, SERVICE_CLIENT_ID } from '../../simulator/fleet/fleet-secret.ts';
import { loadScenario, planFleet } from '../../simulator/scenario/index.ts';
import {
  alive,
  childrenOf,
  killAll,
  startCli,
  waitForOutput,
  waitForState,
  type CliProcess as Child,
} from './fixtures/cli-process.ts';

const SCENARIO = resolve(import.meta.dirname, 'fixtures/engine-equivalence.yaml');
const SECRET = 'issue10-broker-data-secret-0123456789';
const HAS_MOSQUITTO = !spawnSync('mosquitto', ['-h'], { stdio: 'ignore' }).error;
const N = 25;

function start(args: string[], cwd: string): Child {
  return startCli(args, { cwd, env: { CERTFLEET_FLEET_SECRET: SECRET } });
}

async function startBroker(dir: string, port: number, extra: string[]): Promise<Child> {
  const b = start(['broker', '--port', String(port), ...extra], dir);
  await waitForOutput(b, /listening on mqtt:/, 30_000);
  return b;
}

const kill = (c: Child): Promise<void> => killAll([c]);

/** The pid of the Mosquitto a `certfleet broker --mosquitto` started, or undefined (the embedded broker). */
const mosquittoOf = (c: Child): number | undefined =>
  childrenOf(c.proc.pid!).find((p) => p.dir !== undefined)?.pid;

function client(port: number, clientId: string, clean: boolean): mqtt.MqttClient {
  return mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId,
    username: clientId,
    password: derivePassword(Buffer.from(SECRET), clientId),
    clean,
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
}

const connected = (c: mqtt.MqttClient): Promise<void> =>
  new Promise((ok, fail) => {
    c.once('connect', () => ok());
    c.once('error', fail);
  });

let work: string;
let deviceId: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i10-broker-'));
  copyFileSync(SCENARIO, join(work, 'eq.yaml'));
  const plan = planFleet(loadScenario(join(work, 'eq.yaml')))[0]!;
  deviceId = generateDevice(plan.generate).id;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * A device opens a persistent session and goes away; the service publishes N QoS 1 messages for it; the
 * broker is SIGKILLed and started again on the same port (and folder); the device comes back: how many of
 * the N does it receive?
 */
async function survivors(name: string, args: string[], mosquitto = false): Promise<number> {
  const port = await freePort();
  let broker = await startBroker(work, port, args);
  try {
    const inbox = `certfleet/contoso/device/${deviceId}/in/#`;
    const device = client(port, deviceId, false);
    await connected(device);
    await device.subscribeAsync(inbox, { qos: 1 });
    await device.endAsync();
    const service = client(port, SERVICE_CLIENT_ID, true);
    await connected(service);
    for (let i = 0; i < N; i++)
      await service.publishAsync(`certfleet/contoso/device/${deviceId}/in/enrolled`, `message ${i}`, {
        qos: 1,
      });
    // one round trip more: Mosquitto answers the SUBSCRIBE in a later pass of its loop than the last
    // PUBLISH, after the end of the pass that queued it (and saved it); the kill follows at once
    await service.subscribeAsync(`certfleet/contoso/device/+/out/#`, { qos: 1 });
    await service.endAsync();
    const killed = mosquittoOf(broker);
    expect(killed !== undefined).toBe(mosquitto); // a Mosquitto exactly on the Mosquitto row
    await kill(broker);
    broker = await startBroker(work, port, args);
    if (killed !== undefined) {
      // the broker was really killed: its Mosquitto ended with it, and a new one (reading the persistence
      // database) serves the port — not the old one left running with the session still in its memory
      await waitForState(
        `the killed broker's Mosquitto (pid ${killed}) to end`,
        () => !alive(killed),
        10_000,
      );
      expect(mosquittoOf(broker)).not.toBe(killed);
    }
    const got = new Set<string>();
    const back = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId: deviceId,
      username: deviceId,
      password: derivePassword(Buffer.from(SECRET), deviceId),
      clean: false,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    back.on('message', (_t, payload) => got.add(payload.toString()));
    const session = await new Promise<boolean>((ok, fail) => {
      back.once('connect', (ack) => ok(ack.sessionPresent));
      back.once('error', fail);
    });
    // every queued message arrives right after CONNACK; a ping round trip after it has them all in
    if (session) await waitForState(`${N} messages`, () => got.size >= N, 20_000);
    else await back.publishAsync(`certfleet/contoso/device/${deviceId}/out/checkin`, '{}', { qos: 1 });
    await back.endAsync();
    return got.size;
  } finally {
    await kill(broker);
  }
}

/**
 * A device receives M QoS 1 messages and acknowledges none (its PUBACKs withheld, as a client killed
 * mid-handler leaves them); the broker is SIGKILLed and started again; the device comes back: the packet
 * identifier each message arrived with before the kill, and every arrival after the restart (payload and
 * identifier, in order) until each message of before has come again.
 */
async function identifiersAcrossRestart(
  args: string[],
): Promise<{ before: Map<string, number>; after: Array<[string, number]> }> {
  const M = 5;
  const port = await freePort();
  let broker = await startBroker(work, port, args);
  /** A device session that reports each message (payload, identifier) and never acknowledges. */
  const unacking = async (seen: (payload: string, id: number) => void): Promise<mqtt.MqttClient> => {
    const c = client(port, deviceId, false);
    // an error answer makes mqtt.js skip its PUBACK (as the transport's deferred PUBACK does)
    c.handleMessage = (packet, done) => {
      seen(packet.payload.toString(), packet.messageId as number);
      done(new Error('withheld'));
    };
    c.on('error', () => undefined);
    await connected(c);
    return c;
  };
  try {
    const before = new Map<string, number>();
    const device = await unacking((payload, id) => before.set(payload, id));
    await device.subscribeAsync(`certfleet/contoso/device/${deviceId}/in/#`, { qos: 1 });
    const service = client(port, SERVICE_CLIENT_ID, true);
    await connected(service);
    for (let i = 0; i < M; i++)
      await service.publishAsync(`certfleet/contoso/device/${deviceId}/in/enrolled`, `unacked ${i}`, {
        qos: 1,
      });
    await service.endAsync();
    await waitForState(`${M} messages before the kill`, () => before.size >= M, 20_000);
    await kill(broker);
    device.end(true);
    broker = await startBroker(work, port, args);
    const after: Array<[string, number]> = [];
    const back = await unacking((payload, id) => after.push([payload, id]));
    const cameAgain = (): boolean =>
      [...before].every(([payload, id]) => after.some(([p, i]) => p === payload && i === id));
    await waitForState(`the ${M} messages again with their identifiers`, cameAgain, 20_000).catch(
      () => undefined, // the expectations say what came instead
    );
    back.end(true);
    return { before, after };
  } finally {
    await kill(broker);
  }
}

describe('issue 10 point 3: certfleet broker --data keeps persistent sessions across a SIGKILL and restart', () => {
  it('embedded broker with --data: an unacknowledged message comes again with its packet identifier (MQTT 3.1.1 §4.4)', async () => {
    // without it, a client cannot tell the redelivery of a message it handled from a new one: a connector
    // took one lease twice and the split run's clock stopped (issue10-faults.test.ts)
    const { before, after } = await identifiersAcrossRestart(['--data', 'aedes-ids']);
    expect(before.size).toBe(5);
    // each message comes again under the identifier it had (the session's redelivery)
    for (const [payload, id] of before) expect(after).toContainEqual([payload, id]);
    // an arrival beyond those is a message of before routed a second time (QoS 1: at least once): a
    // publish acknowledged and routed just before the kill, whose routing the killed broker had not yet
    // crossed off (embedded-broker.ts), comes as a new message with a new identifier
    for (const [payload] of after) expect(before.has(payload)).toBe(true);
    for (const payload of before.keys())
      expect(after.filter(([p]) => p === payload).length).toBeLessThanOrEqual(2);
  }, 120_000);

  it('embedded broker with --data: every queued message survives', async () => {
    expect(await survivors('aedes-data', ['--data', 'aedes-data'])).toBe(N);
    expect(existsSync(join(work, 'aedes-data', 'broker.db'))).toBe(true);
  }, 120_000);

  it('embedded broker without --data: the session and its messages are gone (the control)', async () => {
    expect(await survivors('aedes-memory', [])).toBe(0);
  }, 120_000);

  it.skipIf(!HAS_MOSQUITTO)(
    'Mosquitto with --data: every queued message survives',
    async () => {
      expect(
        await survivors('mosq-data', ['--mosquitto', '--scenario', 'eq.yaml', '--data', 'mosq-data'], true),
      ).toBe(N);
      expect(existsSync(join(work, 'mosq-data', 'mosquitto.db'))).toBe(true);
    },
    120_000,
  );
});
