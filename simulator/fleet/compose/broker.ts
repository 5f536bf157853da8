/**
 * The broker part: how a fleet process reaches its MQTT broker, and how every client of the process
 * (service, connectors, devices) connects to it. Two kinds:
 *
 * - {@link runBroker} (`certfleet run`): the broker the options name — the embedded aedes broker, the
 *   same in a child process of the run (simulator/broker/child-broker.ts), a Mosquitto the run starts, or an
 *   external one by URL — with the run's own accounts (passwords derived
 *   from the fleet secret; device accounts added as devices first start, or on Mosquitto, where each change
 *   is a reload, all written before it starts), optionally TLS with certificate login
 *   for enrolled devices (tls-setup.ts), and the in-process in-flight counter the virtual clock waits on.
 * - {@link joinedBroker} (`certfleet serve`, `certfleet agents`): a broker another process runs, checked to
 *   be reachable at start, each client logging in with its own derived password (fleet-secret.ts).
 *
 * Either way every client the process opens is tracked, and closed when the part is released — whether the
 * agents, service and connectors closed theirs or a failure stopped them half-way.
 */
import { connect as tcpConnect } from 'node:net';
import type { ManagementIdentity } from '../../../agent/platform-adapter.ts';
import type { TransportLedger } from '../../../protocol/transport/device-ledger.ts';
import { InFlight } from '../../../protocol/transport/in-flight.ts';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { aclInFlightOptions, type BrokerIdentity } from '../../../protocol/wire/topic-acl.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { generateKeyPair } from '../../../pki/index.ts';
import { randomSecretBytes } from '../../../pki/secret-witness.ts';
import type { BrokerHandle } from '../../broker/broker-handle.ts';
import { startChildBroker } from '../../broker/child-broker.ts';
import { CredentialTable } from '../../broker/credential-table.ts';
import { startEmbeddedBroker } from '../../broker/embedded-broker.ts';
import { externalBroker, sharedLogin } from '../../broker/external-broker.ts';
import { findMosquitto, startMosquitto } from '../../broker/mosquitto.ts';
import { planConnectors } from '../../scenario/index.ts';
import { derivePassword, SERVICE_CLIENT_ID, splitFleetLogin } from '../fleet-secret.ts';
import { pfxConnectorIds } from '../pfx-connectors.ts';
import { setUpRunTls, type RunTls } from '../tls-setup.ts';
import type { FleetPart } from './fleet-builder.ts';
import { need, type FleetContext } from './fleet-context.ts';

/** The name of the broker part. */
export const BROKER = 'broker';

/** Which broker carries a run. */
export type BrokerChoice =
  | { type: 'embedded' }
  | { type: 'child' }
  | { type: 'mosquitto'; binary?: string }
  | { type: 'external'; url: string };

/** The broker as the other parts use it. */
export interface FleetBroker {
  /**
   * Opens the MQTT client `clientId`. A device that holds its management `identity` connects with it as
   * TLS client certificate when {@link certificateLogin} is on.
   */
  connect(clientId: string, identity?: ManagementIdentity): Promise<Transport>;
  /** Lets device `id` log in (a broker whose accounts the run manages), once the broker has the change. */
  admitDevice(id: string): Promise<void>;
  /** Enrolled devices log in with their management certificate (`run --tls`). */
  readonly certificateLogin: boolean;
  /**
   * The in-flight counter every client of the process counts on (the virtual clock's quiescence);
   * undefined when the process does not hold every client (serve, agents).
   */
  readonly inFlight?: InFlight;
}

/** Options of {@link runBroker}. */
export interface RunBrokerOptions {
  /** Default: the embedded broker. */
  choice?: BrokerChoice;
  /** TLS broker; enrolled devices log in by certificate (embedded broker or the Mosquitto the run starts). */
  tls?: boolean;
  /** The secret passwords derive from (default: a random one for this run). */
  secret?: Buffer;
  mqttVersion?: 4 | 5;
  /**
   * The fleet engine's device ledger a client feeds (device-ledger.ts): on `certfleet run`, the service's
   * client feeds the service-side ledger and every device's the device-side one; undefined for the others.
   */
  ledgerOf?: (clientId: string) => TransportLedger | undefined;
}

/**
 * Refuses option combinations the broker cannot carry, before anything starts (USAGE, exit 2).
 * aedes 1.x speaks only MQTT 3.1.1: an MQTT 5 CONNECT gets CONNACK "unacceptable protocol version" (tried,
 * see the issue 5 text), so `--mqtt-version 5` needs Mosquitto or an external broker. An external broker's
 * URL is read as the run will read it (with CERTFLEET_BROKER_USERNAME/PASSWORD from `env`, default
 * `process.env`): `--broker bogus` is refused before the run makes its CA and its folder.
 */
export function checkBrokerOptions(
  o: Pick<RunBrokerOptions, 'choice' | 'tls' | 'mqttVersion'>,
  env: Record<string, string | undefined> = process.env,
): void {
  const choice = o.choice ?? { type: 'embedded' };
  const type = choice.type;
  if (choice.type === 'external') externalBroker(choice.url, env);
  if (o.tls && type === 'external') {
    // The broker must trust the run's CA (made for this run) to check device certificates, and map each
    // certificate to its device: only a broker the run sets up itself can.
    throw new CertfleetError(
      'USAGE',
      '--tls works with the embedded broker (no --broker) or --broker mosquitto (the Mosquitto the run starts): ' +
        "the broker must trust the run's CA, which is made for this run, to accept device certificates — an " +
        'external broker does not. Drop --broker URL, use --broker mosquitto, or drop --tls.',
    );
  }
  if (o.tls && type === 'child') {
    // the embedded broker checks device certificates at the run's virtual time, which lives in the run's process
    throw new CertfleetError(
      'USAGE',
      "--tls works with the embedded broker in the run's process (--broker embedded) or --broker mosquitto, not " +
        "--broker child: the broker checks each device certificate at the run's virtual time, which the child " +
        'process does not have. Use --broker embedded or mosquitto with --tls, or drop --tls.',
    );
  }
  if (o.mqttVersion === 5 && (type === 'embedded' || type === 'child')) {
    throw new CertfleetError(
      'USAGE',
      `--mqtt-version 5 needs a broker that speaks MQTT 5: the ${type} broker (aedes) speaks MQTT 3.1.1 only. ` +
        'Use --broker mosquitto or an external broker (--broker mqtt://host:port), or drop --mqtt-version.',
    );
  }
}

/**
 * The broker of `certfleet run` (see the file comment). Needs the CA for TLS (service CA part) and the
 * fleet's devices (run records part) for the topic ACL of the in-flight counter.
 */
export function runBroker(o: RunBrokerOptions = {}): FleetPart<FleetContext> {
  return {
    name: BROKER,
    async start(ctx, teardown) {
      const secret = o.secret ?? randomSecretBytes(32, 'fleet-secret');
      const passwordOf = (name: string): string => derivePassword(secret, name);
      const credentials = new CredentialTable([
        { role: 'service', name: SERVICE_CLIENT_ID, password: passwordOf(SERVICE_CLIENT_ID) },
      ]);
      const connectorIds = new Set([
        ...planConnectors(ctx.scenario).map((c) => c.id),
        ...pfxConnectorIds(ctx.tenant, ctx.scenario),
      ]);
      for (const id of connectorIds)
        credentials.set({ role: 'connector', name: id, password: passwordOf(id) });
      if (o.choice?.type === 'mosquitto') {
        // Mosquitto takes an account change by reloading its password file (SIGHUP), and each reload checks
        // the password of every connected client again: one reload per arriving device made a 3,000-device
        // run 8 × slower than on the embedded broker. Its password file has every device from the start, as
        // `certfleet broker --mosquitto --scenario` writes it (fleet-broker.ts).
        for (const d of ctx.devices) {
          credentials.set({ role: 'device', name: d.device.id, password: passwordOf(d.device.id) });
        }
      }
      const tls = o.tls
        ? setUpRunTls(
            need(ctx.ca, 'the CA', BROKER),
            await generateKeyPair({ kind: 'ec', curve: 'P-256' }),
            new Date(),
            () => ctx.clock.now(),
          )
        : undefined;
      const broker = await startBroker(o.choice ?? { type: 'embedded' }, ctx.tenant, credentials, tls);
      teardown.add(() => broker.close());
      // an external broker's one account (CERTFLEET_BROKER_USERNAME/PASSWORD), used by every client of the run
      const shared = sharedLogin(broker);
      const deviceIds = new Set(ctx.devices.map((d) => d.device.id));
      const identityOf = (clientId: string): BrokerIdentity | undefined => {
        if (clientId === SERVICE_CLIENT_ID) return { role: 'service', name: clientId };
        if (connectorIds.has(clientId)) return { role: 'connector', name: clientId };
        return deviceIds.has(clientId) ? { role: 'device', name: clientId } : undefined;
      };
      const inFlight = new InFlight(aclInFlightOptions(ctx.tenant, identityOf));
      const opened = trackClients(teardown);
      ctx.broker = {
        certificateLogin: tls !== undefined,
        inFlight,
        connect: (clientId, identity) => {
          const ledger = o.ledgerOf?.(clientId);
          return opened(
            connectMqtt({
              // Mosquitto with --tls: certificates on their own listener, passwords (enrolment) on `url`
              url: identity && broker.deviceTlsUrl ? broker.deviceTlsUrl : broker.url,
              clientId,
              username: shared?.username ?? clientId,
              // with its management certificate a TLS device authenticates by certificate, not by password
              ...(shared
                ? shared.password !== undefined
                  ? { password: shared.password }
                  : {}
                : identity
                  ? {}
                  : { password: passwordOf(clientId) }),
              protocolVersion: o.mqttVersion ?? 4,
              inFlight,
              ...(ledger ? { ledger } : {}),
              ...(tls ? { tls: identity ? tls.deviceClient(identity) : tls.client } : {}),
            }),
          );
        },
        admitDevice: async (id) => {
          // a device that starts again (after an offline window, a refused connection) has its account
          if (credentials.get(id)?.identity.role !== 'device') {
            credentials.set({ role: 'device', name: id, password: passwordOf(id) });
          }
          await broker.synced?.();
        },
      };
    },
  };
}

/** Options of {@link joinedBroker}. */
export interface JoinedBrokerOptions {
  /** The broker's URL (`certfleet broker`, Mosquitto, EMQX…). */
  url: string;
  /** The shared fleet secret (CERTFLEET_FLEET_SECRET). */
  secret: Buffer;
  mqttVersion?: 4 | 5;
  /** How long the reachability check waits (default 10 s, as long as an MQTT connection may take). */
  probeTimeoutMs?: number;
  /**
   * The fleet engine's device ledger a client feeds (device-ledger.ts): the service's client on the
   * coordinator, every device's on an agent host; undefined for the others (connectors).
   */
  ledgerOf?: (clientId: string) => TransportLedger | undefined;
  /**
   * An in-process in-flight counter for the clients of this process that talk to each other (the service
   * and its connectors on the coordinator): the coordinator's local settle waits on it.
   */
  inFlight?: InFlight;
}

/**
 * The broker of `certfleet serve` and `certfleet agents`: another process's, at `url`.
 * @throws CertfleetError USAGE for a URL that is not an MQTT URL; TRANSPORT_UNREACHABLE when nothing
 *   answers at its host and port (checked at start: the agents connect only at their enrol times).
 */
export function joinedBroker(o: JoinedBrokerOptions): FleetPart<FleetContext> {
  return {
    name: BROKER,
    async start(ctx, teardown) {
      const loginOf = splitFleetLogin(o.url, o.secret);
      await probeBroker(o.url, o.probeTimeoutMs ?? 10_000);
      const opened = trackClients(teardown);
      ctx.broker = {
        certificateLogin: false,
        ...(o.inFlight ? { inFlight: o.inFlight } : {}),
        connect: (clientId) => {
          const ledger = o.ledgerOf?.(clientId);
          return opened(
            connectMqtt({
              url: o.url,
              clientId,
              ...loginOf(clientId),
              protocolVersion: o.mqttVersion ?? 4,
              ...(ledger ? { ledger } : {}),
              ...(o.inFlight ? { inFlight: o.inFlight } : {}),
            }),
          );
        },
        admitDevice: async () => undefined,
      };
    },
  };
}

/**
 * Tracks every client opened through the returned function; they are all closed when `teardown` runs
 * (closing one twice is harmless).
 */
function trackClients(teardown: {
  add(step: () => unknown): void;
}): (opening: Promise<Transport>) => Promise<Transport> {
  const opened = new Set<Transport>();
  teardown.add(() => Promise.all([...opened].map((t) => t.close().catch(() => undefined))));
  return async (opening) => {
    const transport = await opening;
    opened.add(transport);
    return transport;
  };
}

async function startBroker(
  choice: BrokerChoice,
  tenant: string,
  credentials: CredentialTable,
  tls: RunTls | undefined,
): Promise<BrokerHandle> {
  switch (choice.type) {
    case 'embedded':
      return startEmbeddedBroker({ tenant, credentials, ...(tls ? { tls: tls.broker } : {}) });
    case 'child':
      return startChildBroker({ tenant, credentials });
    case 'mosquitto':
      if (!findMosquitto(choice.binary)) {
        throw new CertfleetError(
          'BROKER_START',
          'Mosquitto is not installed: apt-get install mosquitto, or use the embedded broker.',
        );
      }
      return startMosquitto({
        tenant,
        credentials,
        ...(choice.binary ? { binary: choice.binary } : {}),
        ...(tls ? { tls: { ca: tls.broker.ca, cert: tls.broker.cert, key: tls.broker.key } } : {}),
      });
    case 'external':
      return externalBroker(choice.url, process.env);
  }
}

/**
 * Opens (and at once closes) a TCP connection to the broker's host and port: the broker is reachable.
 * @throws CertfleetError TRANSPORT_UNREACHABLE otherwise, in the words the MQTT transport uses.
 */
async function probeBroker(url: string, timeoutMs: number): Promise<void> {
  const broker = externalBroker(url, {});
  const u = new URL(broker.url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const where = u.port ? broker.url : `${broker.url}:${broker.port}`;
  await new Promise<void>((resolve, reject) => {
    const socket = tcpConnect({ host, port: broker.port });
    const fail = (why: string, cause?: unknown): void => {
      socket.destroy();
      reject(
        new CertfleetError(
          'TRANSPORT_UNREACHABLE',
          `Cannot reach the MQTT broker at ${where} (${why}). Is it running, and is the URL right?`,
          { cause, details: { url: broker.url, port: broker.port } },
        ),
      );
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message, e));
    socket.once('connect', () => {
      socket.end();
      socket.destroy();
      resolve();
    });
  });
}
