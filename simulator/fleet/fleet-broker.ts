/**
 * The broker of a split fleet (`certfleet broker`): the embedded aedes broker alone, or a Mosquitto the
 * project starts, taking logins whose passwords derive from the shared fleet secret (fleet-secret.ts), with
 * the tenant's topic ACL (protocol/wire/topic-acl.ts). `certfleet serve` and `certfleet agents` — in
 * other processes or on other machines — connect to its URL with the same `CERTFLEET_FLEET_SECRET`.
 *
 * - Embedded (default): accepts any client id whose password is HMAC(secret, clientId); no device list.
 * - Mosquitto (`--mosquitto --scenario F`): Mosquitto needs a password file, so the accounts are written up
 *   front — the service, the scenario's connectors, and every device the scenario plans (all shards).
 */
import { generateDevice } from '../../agent/device/generate.ts';
import type { BrokerHandle } from '../broker/broker-handle.ts';
import { CredentialTable } from '../broker/credential-table.ts';
import { startEmbeddedBroker } from '../broker/embedded-broker.ts';
import { startMosquitto } from '../broker/mosquitto.ts';
import { loadScenario, planConnectors, planFleet } from '../scenario/index.ts';
import { MAX_AGENT_HOSTS } from './auto-workers.ts';
import { pfxConnectorIds } from './pfx-connectors.ts';
import {
  CLOCK_CLIENT_ID,
  derivedAccount,
  hostClientId,
  SecretCredentialTable,
  SERVICE_CLIENT_ID,
} from './fleet-secret.ts';

/** How many agent hosts (`agents --shard i/K`, K ≤ 64) a Mosquitto of `certfleet broker --mosquitto` admits. */
const MAX_HOST_ACCOUNTS = MAX_AGENT_HOSTS;

/** Options of {@link startFleetBroker}. */
export interface FleetBrokerOptions {
  tenant: string;
  secret: Buffer;
  /** The interface (default 127.0.0.1; `0.0.0.0` for other machines). */
  host?: string;
  /** The port (default 0, a free one). */
  port?: number;
  /**
   * A folder for the broker's state (`--data DIR`): persistent sessions and their queued messages survive
   * a restart on it — the embedded broker's SQLite persistence (simulator/broker/sqlite-persistence.ts),
   * Mosquitto's persistence database.
   */
  data?: string;
  /** Start Mosquitto with accounts for this scenario's service, connectors and devices. */
  mosquitto?: { scenario: string; devices?: number; binary?: string };
}

/** Starts the broker; the caller closes it (on SIGINT/SIGTERM for the CLI). */
export async function startFleetBroker(o: FleetBrokerOptions): Promise<BrokerHandle> {
  if (!o.mosquitto) {
    return startEmbeddedBroker({
      tenant: o.tenant,
      credentials: new SecretCredentialTable(o.secret),
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.data !== undefined ? { dataDir: o.data } : {}),
    });
  }
  return startMosquitto({
    tenant: o.tenant,
    credentials: fleetAccounts(o.secret, o.mosquitto.scenario, o.mosquitto.devices, o.tenant),
    ...(o.mosquitto.binary ? { binary: o.mosquitto.binary } : {}),
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.data !== undefined ? { persistenceDir: o.data } : {}),
  });
}

/**
 * Every account a scenario's split fleet needs, with derived passwords (for a Mosquitto password file); with
 * `tenant`, its PFX connector's too when the scenario uses imported PKCS.
 */
export function fleetAccounts(
  secret: Buffer,
  scenarioFile: string,
  devices?: number,
  tenant?: string,
): CredentialTable {
  let scenario = loadScenario(scenarioFile);
  if (devices !== undefined) scenario = { ...scenario, fleet: { ...scenario.fleet, devices } };
  const table = new CredentialTable([derivedAccount(secret, SERVICE_CLIENT_ID)]);
  for (const c of planConnectors(scenario)) table.set(derivedAccount(secret, c.id));
  if (tenant !== undefined)
    for (const id of pfxConnectorIds(tenant, scenario)) table.set(derivedAccount(secret, id));
  // the fleet engine's control clients: the coordinator (serve) and up to 64 agent hosts (agents --shard i/K)
  table.set(derivedAccount(secret, CLOCK_CLIENT_ID));
  for (let i = 0; i < MAX_HOST_ACCOUNTS; i++) table.set(derivedAccount(secret, hostClientId(i)));
  for (const plan of planFleet(scenario)) table.set(derivedAccount(secret, generateDevice(plan.generate).id));
  return table;
}
