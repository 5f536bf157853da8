/**
 * The agent host: the devices a process hosts — the whole fleet in `certfleet run`, one shard in
 * `certfleet agents` — each a `DeviceAgent` over its own MQTT client and the key stores, on the device
 * plan's timers: it enrols at its planned time, goes offline and comes back in its planned windows
 * (restarted from its store), answers slowly when planned so, and a locked Apple device defers a due
 * renewal until it unlocks. The same device-side events — `offline`, `online`, `renewal-deferred` — are
 * recorded wherever the host runs (`ctx.recordDeviceEvent`: run.db for `run`, the agents' event log for
 * `agents`).
 */
import type { ManagementIdentity } from '../../../agent/platform-adapter.ts';
import type { StoreDb } from '../../../agent/keystore/store-db.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import {
  DeviceAgent,
  MDM_IDENTITY_STORE,
  type DeviceAgentOptions,
} from '../../../agent/runtime/device-agent.ts';
import type { RenewalDecision } from '../../../agent/renewal/renewal.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import type { ScheduledTask, Scheduler } from '../../../protocol/runtime/scheduler.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { importPrivateKey, parseCertificate } from '../../../pki/index.ts';
import type { PlannedDevice } from '../plan-devices.ts';
import type { FleetPart } from './fleet-builder.ts';
import { keyedScheduler, need, recordingSchedules, type FleetContext } from './fleet-context.ts';

/** The name of the agent host part. */
export const AGENT_HOST = 'agent host';

/** Options of {@link agentHost}. */
export interface AgentHostOptions {
  /** Each install outcome a device reports, as the device saw it. */
  onOutcome?: (deviceId: string, outcome: InstallOutcome) => void;
}

/** The running agent host. */
export interface AgentHost {
  /** The agents running now, by device id (a device offline, or not enrolled yet, has none). */
  readonly running: ReadonlyMap<string, DeviceAgent>;
}

/**
 * Schedules every device of `ctx.devices` on the clock. Needs the key stores, the broker, and somewhere
 * to record device events (run records or the device event log). Released: cancels the devices' timers,
 * stops every running agent, and starts none after that.
 */
export function agentHost(o: AgentHostOptions = {}): FleetPart<FleetContext> {
  return {
    name: AGENT_HOST,
    start(ctx, teardown) {
      const storeDb = need(ctx.storeDb, 'the key stores', AGENT_HOST);
      const broker = need(ctx.broker, 'the broker', AGENT_HOST);
      const record = need(ctx.recordDeviceEvent, 'a device event record', AGENT_HOST);
      const { clock, scenario } = ctx;
      const agents = new Map<string, DeviceAgent>();
      const unlocked = new Set<string>();
      const tasks: ScheduledTask[] = [];
      const event = (device: string, type: string, detail: string): void =>
        record({ at: clock.now().toISOString(), device, type, detail });
      const host: HostState = {
        released: false,
        agents,
        unlocked,
        clock,
        ctx,
        event,
        ...(o.onOutcome ? { onOutcome: o.onOutcome } : {}),
      };
      teardown.add(async () => {
        host.released = true;
        for (const t of tasks) t.cancel();
        for (const a of agents.values()) await a.stop().catch(() => undefined);
      });
      const timers = recordingSchedules(clock, tasks);

      // A device whose connection fails (a broker outage) tries again with backoff on the clock — the
      // first after a minute, doubling up to the check-in interval — for as long as the run lasts
      // (issue 10 point 3); `connecting` keeps one attempt chain per device.
      const connecting = new Map<string, ScheduledTask>();
      const retryConnect = (planned: PlannedDevice, attempt: number, why: string): void => {
        const id = planned.device.id;
        const wait = Math.min(
          Math.max(CONNECT_RETRY_FIRST_MS, scenario.checkInIntervalMs),
          CONNECT_RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 30),
        );
        event(
          id,
          'connect-failed',
          `attempt ${attempt}: ${why}; next attempt in ${Math.round(wait / 60_000)} min`,
        );
        connecting.get(id)?.cancel();
        connecting.set(
          id,
          clock.after(
            wait,
            async () => {
              connecting.delete(id);
              if (host.released || agents.has(id) || !onlineNow(planned)) return;
              await startAgent(planned, attempt + 1);
            },
            id,
          ),
        );
      };
      const onlineNow = ({ plan }: PlannedDevice): boolean => {
        const t = clock.now().getTime();
        return t >= plan.enrolAt && !plan.offline.some((w) => t >= w.from && t < w.to);
      };
      teardown.add(() => {
        for (const t of connecting.values()) t.cancel();
      });

      const startAgent = async (planned: PlannedDevice, attempt = 1): Promise<void> => {
        const { device } = planned;
        if (host.released) return;
        let transport;
        try {
          await broker.admitDevice(device.id);
          const held = broker.certificateLogin ? storedIdentity(storeDb, device.id) : undefined;
          transport = await broker.connect(device.id, held);
        } catch (e) {
          if (host.released) return;
          // a broker that is down or gone: try again later; one that answered and refused (credentials,
          // protocol) would refuse again — the run fails with its code, as before
          if (!(e instanceof CertfleetError && TRANSIENT_CONNECT_CODES.has(e.code))) throw e;
          retryConnect(planned, attempt, e.message);
          return;
        }
        if (host.released) return void (await transport.close().catch(() => undefined));
        broker.inFlight?.setOnline(device.id, true);
        const options = new HostedAgentOptions(host, planned, transport);
        options.scheduler = keyedScheduler(clock, device.id);
        if (broker.certificateLogin) {
          options.reconnect = (identity: ManagementIdentity) => broker.connect(device.id, identity);
        }
        const agent = new DeviceAgent(options);
        agents.set(device.id, agent);
        await agent.start();
      };

      for (const planned of ctx.devices) {
        const { device, plan } = planned;
        timers.schedule(plan.enrolAt, () => startAgent(planned), device.id);
        for (const w of plan.offline) {
          timers.schedule(
            w.from,
            async () => {
              const agent = agents.get(device.id);
              if (!agent || host.released) return;
              agents.delete(device.id);
              broker.inFlight?.setOnline(device.id, false);
              await agent.stop();
              event(device.id, 'offline', 'device went offline');
            },
            device.id,
          );
          timers.schedule(
            w.to,
            async () => {
              if (host.released || agents.has(device.id) || clock.now().getTime() < plan.enrolAt) return;
              event(device.id, 'online', 'device back online');
              await startAgent(planned);
            },
            device.id,
          );
        }
      }
      ctx.agents = { running: agents };
    },
  };
}

/** What the agents of one host share: the host's state, read by each agent's options. */
interface HostState {
  /** Set when the host is released: no agent starts, no deferred unlock checks in. */
  released: boolean;
  readonly agents: Map<string, DeviceAgent>;
  /** Locked Apple devices unlocked by now. */
  readonly unlocked: Set<string>;
  readonly clock: FleetContext['clock'];
  readonly ctx: FleetContext;
  readonly event: (device: string, type: string, detail: string) => void;
  readonly onOutcome?: (deviceId: string, outcome: InstallOutcome) => void;
}

/**
 * One hosted agent's options: its device, plan and transport in fields, and the hooks the agent calls
 * (`isLocked`, `onRenewalDeferred`, `onOutcome`) methods of the class — the agent calls them on this
 * object — where they were closures made for each device (issue 11 point 3: an idle agent's memory; a
 * closure and its context are ~100 bytes each, ~250 more under tsx, which names each one).
 */
class HostedAgentOptions implements DeviceAgentOptions {
  readonly device: PlannedDevice['device'];
  readonly tenant: string;
  readonly db: StoreDb;
  readonly clock: FleetContext['clock'];
  scheduler!: Scheduler;
  readonly adapter: DeviceAgentOptions['adapter'];
  readonly keys: DeviceAgentOptions['keys'];
  readonly checkInIntervalMs: number;
  readonly answerDelayMs: number | undefined;
  reconnect?: (identity: ManagementIdentity) => Promise<Transport>;

  constructor(
    private readonly host: HostState,
    private readonly planned: PlannedDevice,
    readonly transport: Transport,
  ) {
    const { ctx } = host;
    this.device = planned.device;
    this.tenant = ctx.tenant;
    this.db = need(ctx.storeDb, 'the key stores', AGENT_HOST);
    this.clock = host.clock;
    this.adapter = PLATFORM_ADAPTERS[planned.device.platform];
    this.keys = planned.device.platform === 'windows' ? ctx.keys.rsa : ctx.keys.ec;
    this.checkInIntervalMs = ctx.scenario.checkInIntervalMs;
    this.answerDelayMs = planned.plan.slowDelayMs;
  }

  isLocked(): boolean {
    return this.planned.plan.locked && !this.host.unlocked.has(this.device.id);
  }

  onRenewalDeferred(d: RenewalDecision): void {
    const { host, device, planned } = this;
    host.event(device.id, 'renewal-deferred', d.message);
    if (host.unlocked.has(device.id) || planned.plan.unlockAfterMs === undefined) return;
    host.clock.after(
      planned.plan.unlockAfterMs,
      async () => {
        if (host.released) return;
        host.unlocked.add(device.id);
        await host.agents.get(device.id)?.checkInNow();
      },
      device.id,
    );
  }

  onOutcome(out: InstallOutcome): void {
    this.host.onOutcome?.(this.device.id, out);
  }
}

/** Connection failures a device tries again after: the broker cannot be reached, or did not answer. */
const TRANSIENT_CONNECT_CODES: ReadonlySet<string> = new Set(['TRANSPORT_UNREACHABLE', 'TRANSPORT_TIMEOUT']);

/** The first new attempt of a device whose connection failed (clock time). */
export const CONNECT_RETRY_FIRST_MS = 60_000;

/** The management identity a device's store holds (a restarted TLS device connects with it). */
function storedIdentity(db: StoreDb, deviceId: string): ManagementIdentity | undefined {
  const item = db.items(deviceId, { store: MDM_IDENTITY_STORE })[0];
  if (!item?.privateKey) return undefined;
  return { certificate: parseCertificate(item.certificate), privateKey: importPrivateKey(item.privateKey) };
}
