/**
 * The certificate connectors of a run: one per planned connector, each with its own MQTT client, staggered
 * first polls, and the scenario's "connector down" windows (stopped at the start of a window — its leased
 * requests go to the others when the leases run out — and started again at its end).
 */
import type { Clock } from '../../protocol/runtime/clock.ts';
import type { Scheduler } from '../../protocol/runtime/scheduler.ts';
import type { Transport } from '../../protocol/transport/transport.ts';
import type { KeySource } from '../../pki/key-factory.ts';
import type { Pkcs12Builder } from '../../pki/pkcs12-pool.ts';
import type { RunEvent } from '../run-model.ts';
import type { ConnectorPlan } from '../scenario/index.ts';
import type { CaDirectory } from '../service/ca/ca-directory.ts';
import type { EnterpriseCa } from '../service/ca/enterprise-ca.ts';
import type { PfxChain } from '../service/ca/issue-pfx.ts';
import { CertificateConnector, type CertificateConnectorOptions } from '../service/connector/index.ts';
import type { ConnectorKeyJournal } from '../service/connector/key-journal.ts';

/** Options of {@link startConnectorPool}. */
export interface ConnectorPoolOptions {
  plans: readonly ConnectorPlan[];
  tenant: string;
  /** Opens the MQTT client of a connector id. */
  connect: (clientId: string) => Promise<Transport>;
  ca: EnterpriseCa | CaDirectory;
  /** The run's clock: the virtual clock, or the scaled wall clock of a split run. */
  clock: Clock & Scheduler & { schedule(at: Date | number, fn: () => void | Promise<void>): unknown };
  pollIntervalMs: number;
  /** Longest interval idle polls back off to (CertificateConnectorOptions.maxIdlePollIntervalMs). */
  maxIdlePollIntervalMs?: number;
  keys: KeySource;
  /** Builds the PFXs (the run's issuance pool); default: in this thread. */
  pkcs12?: Pkcs12Builder;
  /** The connectors' SID setting (CertificateConnectorOptions.sidSecurityExtension). */
  sidSecurityExtension?: boolean;
  /** What each PKCS#12 carries (CertificateConnectorOptions.pfxChain). */
  pfxChain?: PfxChain;
  /** Where each connector keeps a request's key before it asks the CA (CertificateConnectorOptions.keyJournal). */
  keyJournal?: ConnectorKeyJournal;
  /** Called after the CA issued for a request, before the result is handed back (CertificateConnectorOptions.onCaIssued). */
  onCaIssued?: CertificateConnectorOptions['onCaIssued'];
  /** Called when a connector goes down or comes back (`connector-down` / `connector-up` events). */
  onEvent?: (e: RunEvent) => void;
  /**
   * A resumed run (issue 10 point 3): the last instant the killed run closed (epoch ms). Down windows
   * over by then are left out; a connector in a window at that instant starts when the window ends.
   */
  after?: number;
}

/** Starts the connectors and schedules their down windows; the map holds the ones running at any time. */
export async function startConnectorPool(
  o: ConnectorPoolOptions,
): Promise<Map<string, CertificateConnector>> {
  const running = new Map<string, CertificateConnector>();
  const start = async (id: string, firstPollDelayMs: number): Promise<void> => {
    const c = new CertificateConnector({
      id,
      tenant: o.tenant,
      transport: await o.connect(id),
      ca: o.ca,
      clock: o.clock,
      pollIntervalMs: o.pollIntervalMs,
      ...(o.maxIdlePollIntervalMs !== undefined && { maxIdlePollIntervalMs: o.maxIdlePollIntervalMs }),
      firstPollDelayMs,
      keys: o.keys,
      ...(o.pkcs12 !== undefined && { pkcs12: o.pkcs12 }),
      ...(o.sidSecurityExtension === true && { sidSecurityExtension: true }),
      ...(o.pfxChain !== undefined && { pfxChain: o.pfxChain }),
      ...(o.keyJournal !== undefined && { keyJournal: o.keyJournal }),
      ...(o.onCaIssued !== undefined && { onCaIssued: o.onCaIssued }),
    });
    await c.start();
    running.set(id, c);
  };
  const after = o.after;
  for (const [i, plan] of o.plans.entries()) {
    const down = after === undefined ? [] : plan.down.filter((w) => w.from <= after && after < w.to);
    if (down.length === 0) await start(plan.id, Math.round((i * o.pollIntervalMs) / o.plans.length));
    for (const w of plan.down) {
      if (after !== undefined && w.to <= after) continue; // over before the resumed instant
      const open = after !== undefined && w.from <= after; // the connector is down now: it only comes back
      if (!open)
        o.clock.schedule(w.from, async () => {
          const c = running.get(plan.id);
          running.delete(plan.id);
          const others =
            running.size > 0
              ? 'its leased requests go to another connector when the leases run out'
              : 'no other connector is running: requests wait until one polls again';
          o.onEvent?.({
            at: o.clock.now().toISOString(),
            type: 'connector-down',
            detail: `${plan.id} stopped until ${new Date(w.to).toISOString()}; ${others}`,
          });
          await c?.stop();
        });
      o.clock.schedule(w.to, async () => {
        await start(plan.id, 0);
        o.onEvent?.({
          at: o.clock.now().toISOString(),
          type: 'connector-up',
          detail: `${plan.id} polling again`,
        });
      });
    }
  }
  return running;
}
