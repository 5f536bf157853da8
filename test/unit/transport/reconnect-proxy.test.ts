/**
 * Issue 10 point 1: delivery that survives reconnects. The service and a device talk through a TCP proxy
 * (test/fixtures/tcp-proxy.ts) that cuts every connection mid-stream, several times, while 400 numbered
 * messages flow each way. Every message must be handled (QoS 1: at least once; duplicates are counted and
 * reported), nothing may stall, and the in-flight counter and both device ledgers must end balanced.
 * Run on the embedded aedes broker and on Mosquitto.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceLedger } from '../../../protocol/transport/device-ledger.ts';
import { InFlight } from '../../../protocol/transport/in-flight.ts';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { deviceOutTopic, enrolledTopic } from '../../../protocol/wire/topics.ts';
import { startTcpProxy, type TcpProxy, type TcpProxyOptions } from '../../fixtures/tcp-proxy.ts';
import { BROKERS, TENANT, type TestBroker } from './brokers.ts';

const N = 400;
const DEVICE = 'd1';
const IN = enrolledTopic(TENANT, DEVICE);
const OUT = deviceOutTopic(TENANT, DEVICE, 'checkin');
/** The messages go out in this many bursts each way; every burst is followed at once by a cut. */
const BURSTS = 4;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Per-number handling counts of one side. */
class Tally {
  readonly counts = new Array<number>(N).fill(0);
  calls = 0;
  record(payload: Buffer): number {
    const n = Number(payload.toString());
    this.counts[n] = (this.counts[n] ?? 0) + 1;
    return ++this.calls;
  }
  missing(): number[] {
    return this.counts.flatMap((c, i) => (c === 0 ? [i] : []));
  }
  duplicates(): number {
    return this.counts.reduce((s, c) => s + Math.max(0, c - 1), 0);
  }
}

describe.each(BROKERS)('issue 10: delivery survives TCP cuts mid-stream ($name)', (row) => {
  let broker: TestBroker | undefined;
  let proxy: TcpProxy | undefined;
  const clients: Transport[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
    await proxy?.close();
    await broker?.close();
    proxy = undefined;
    broker = undefined;
  });

  /**
   * Connects the service and the device through a proxy started with `proxyOptions`, lets `drive`
   * publish the N numbered messages each way (and cut), waits until both sides saw every number, and
   * checks that nothing was lost or stalled and that the counters are balanced. `minCuts`: how many cuts
   * must have found live connections.
   */
  async function exchange(
    proxyOptions: Omit<TcpProxyOptions, 'targetPort'>,
    minCuts: number,
    drive: (h: {
      p: TcpProxy;
      service: Transport;
      device: Transport;
      publishes: Array<Promise<void>>;
      failed: (err: unknown) => void;
      deadline: number;
      handled: () => number;
    }) => Promise<number[]>,
  ): Promise<void> {
    broker = await row.start([
      { role: 'service', name: 'svc', password: 's' },
      { role: 'device', name: DEVICE, password: 'd' },
    ]);
    const p = await startTcpProxy({ targetPort: broker.port, ...proxyOptions });
    proxy = p;
    const inFlight = new InFlight();
    const svcLedger = new DeviceLedger({ tenant: TENANT, side: 'service' });
    const devLedger = new DeviceLedger({ tenant: TENANT, side: 'device' });
    const atDevice = new Tally();
    const atService = new Tally();
    const skipped = { device: 0, service: 0 };
    const common = {
      url: p.url,
      reconnectPeriodMs: 20,
      ackTimeoutMs: 120_000,
      inFlight,
    };
    const device = await connectMqtt({
      ...common,
      clientId: DEVICE,
      username: DEVICE,
      onEvent: (e) => void (e.type === 'duplicate' && skipped.device++),
      password: 'd',
      ledger: devLedger,
      subscriptions: [
        {
          filter: `certfleet/${TENANT}/device/${DEVICE}/in/#`,
          handler: async (m) => {
            atDevice.record(m.payload);
            await sleep(2); // slow enough that the stream outlasts the cuts
          },
        },
      ],
    });
    clients.push(device);
    const service = await connectMqtt({
      ...common,
      clientId: 'svc',
      username: 'svc',
      onEvent: (e) => void (e.type === 'duplicate' && skipped.service++),
      password: 's',
      ledger: svcLedger,
      subscriptions: [
        {
          filter: `certfleet/${TENANT}/device/+/out/#`,
          handler: async (m) => {
            atService.record(m.payload);
            await sleep(2); // slow enough that the stream outlasts the cuts
          },
        },
      ],
    });
    clients.push(service);

    const deadline = Date.now() + 90_000;
    const publishes: Array<Promise<void>> = [];
    const failures: string[] = [];
    const failed = (err: unknown): void => void failures.push(String(err));
    const cutsWhenPending = await drive({
      p,
      service,
      device,
      publishes,
      failed,
      deadline,
      handled: () => atDevice.calls + atService.calls,
    });
    // how many publishes settled (acknowledged by the broker, or failed: publishesFailed), read at the end:
    // messages missing at a side while publishes are still pending may have been lost before the broker
    // (the publisher's store); with none pending, after it (the broker, or the subscriber's transport)
    let settledPublishes = 0;
    for (const pub of publishes) void pub.then(() => settledPublishes++);
    const published = Promise.all(publishes);
    while ((atDevice.missing().length > 0 || atService.missing().length > 0) && Date.now() < deadline) {
      await sleep(50);
    }
    await Promise.race([published, sleep(Math.max(0, deadline - Date.now()))]);
    // The in-flight counter cannot tell a publisher's re-sent duplicate from its original (in-flight.ts:
    // never below 0), so it may read 0 while that duplicate is still in its handler; the ledgers count
    // every arrival, so wait for them to be idle too before reading the tallies (CI saw the device
    // handler's 403rd call counted by the tally and not yet by the ledger).
    const quiet = async (): Promise<void> => {
      for (;;) {
        await Promise.all([inFlight.settled(), svcLedger.idle(), devLedger.idle()]);
        if (svcLedger.inProgress() === 0 && devLedger.inProgress() === 0 && inFlight.count() === 0) return;
      }
    };
    const settled = await Promise.race([
      quiet().then(() => true),
      sleep(Math.max(1000, deadline - Date.now())).then(() => false),
    ]);

    await new Promise((r) => setImmediate(r)); // the counting callbacks of publishes settled by now have run
    const report = {
      broker: row.name,
      publishesPending: publishes.length - settledPublishes,
      cutAfterHandled: cutsWhenPending,
      cuts: p.cuts(),
      publishesFailed: failures.length,
      lostAtDevice: atDevice.missing().length,
      lostAtService: atService.missing().length,
      connections: p.accepted(),
      // broker redeliveries the transport recognised and acknowledged without handling them again
      redeliveriesSkipped: skipped,
      // duplicates that reached the handlers (a publisher re-sent a message whose PUBACK it lost)
      duplicatesAtDevice: atDevice.duplicates(),
      duplicatesAtService: atService.duplicates(),
    };
    console.info(`issue 10 reconnect proxy: ${JSON.stringify(report)}`);

    // the cuts happened, mid-stream, and the clients reconnected through the proxy
    expect(cutsWhenPending.length).toBeGreaterThanOrEqual(minCuts);
    expect(cutsWhenPending.every((handled) => handled < 2 * N)).toBe(true);
    expect(p.accepted()).toBeGreaterThanOrEqual(2 + 2 * minCuts);
    // nothing lost, nothing stalled
    expect(failures).toEqual([]);
    expect(atDevice.missing()).toEqual([]);
    expect(atService.missing()).toEqual([]);
    // at-least-once: the handler saw each number once plus the duplicates reported above
    expect(atDevice.calls).toBe(N + atDevice.duplicates());
    expect(atService.calls).toBe(N + atService.duplicates());
    // the in-flight counter is back to 0 and nobody waits
    expect(settled).toBe(true);
    expect(inFlight.count()).toBe(0);
    expect(inFlight.pendingClients()).toEqual([]);
    // the device ledgers: every publish counted once, every handling once, nothing left in progress
    expect(svcLedger.counts(DEVICE)).toEqual({ sent: N, handled: atService.calls });
    expect(devLedger.counts(DEVICE)).toEqual({ sent: N, handled: atDevice.calls });
    expect(svcLedger.inProgress()).toBe(0);
    expect(devLedger.inProgress()).toBe(0);
    // the fleet engine's barrier rule holds in both directions
    expect(svcLedger.counts(DEVICE).sent).toBeLessThanOrEqual(devLedger.counts(DEVICE).handled);
    expect(devLedger.counts(DEVICE).sent).toBeLessThanOrEqual(svcLedger.counts(DEVICE).handled);
  }

  it.skipIf(row.skip !== undefined)(
    `issue 10 (${row.name}): ${N} messages each way in bursts, each burst cut at once (resumed sessions): none lost, none stalled, counters balanced`,
    () =>
      exchange({}, BURSTS, async ({ p, service, device, publishes, failed, deadline, handled }) => {
        const cutsWhenPending: number[] = [];
        // Each burst: N/BURSTS publishes each way, then a cut in the next macrotask, while the publishes are
        // unacknowledged and their copies on their way: both clients reconnect with a store to resend and
        // a resumed session whose queue the broker delivers meanwhile. Waits (wall time: a transport test,
        // not a simulated run) until both clients are back before the next burst.
        const per = N / BURSTS;
        for (let b = 0; b < BURSTS; b++) {
          for (let i = b * per; i < (b + 1) * per; i++) {
            publishes.push(service.publish(IN, Buffer.from(String(i))).catch(failed));
            publishes.push(device.publish(OUT, Buffer.from(String(i))).catch(failed));
          }
          await new Promise((r) => setImmediate(r));
          const accepted = p.accepted();
          if (p.cut() > 0) cutsWhenPending.push(handled());
          while (p.accepted() < accepted + 2 && Date.now() < deadline) await sleep(5);
          await sleep(20);
        }
        return cutsWhenPending;
      }),
    150_000,
  );

  it.skipIf(row.skip !== undefined)(
    `issue 10 (${row.name}): ${N} messages each way paced under periodic cuts with short outages: none lost, none stalled, counters balanced`,
    () =>
      exchange(
        { cutEveryMs: 60, downMs: 30 },
        3,
        async ({ p, service, device, publishes, failed, handled }) => {
          // one message each way per millisecond or so, while the proxy cuts every 60 ms and refuses
          // reconnections for 30 ms after each cut. The cutting starts now that both clients are
          // connected: a cut during a first connect fails that connect (CI saw ECONNRESET there).
          p.startCutting();
          const cutsBefore = (): number => p.cuts();
          const cuts: number[] = [];
          let last = cutsBefore();
          for (let i = 0; i < N; i++) {
            publishes.push(service.publish(IN, Buffer.from(String(i))).catch(failed));
            publishes.push(device.publish(OUT, Buffer.from(String(i))).catch(failed));
            if (i % 4 === 3) await sleep(1);
            if (p.cuts() > last) {
              last = p.cuts();
              cuts.push(handled());
            }
          }
          while (handled() < 2 * N && cuts.length < 3) {
            await sleep(5);
            if (p.cuts() > last) {
              last = p.cuts();
              cuts.push(handled());
            }
          }
          p.stopCutting();
          return cuts;
        },
      ),
    150_000,
  );
});
