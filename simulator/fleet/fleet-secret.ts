/**
 * Broker credentials for a fleet split over several processes (`certfleet broker`, `certfleet serve`,
 * `certfleet agents --shard i/n`): one shared secret, given to every side in the environment variable
 * `CERTFLEET_FLEET_SECRET`, from which each side derives any client's password as
 * `base64url(HMAC-SHA256(secret, clientId))`. So the service, its connectors and every agent shard know
 * their own passwords, and the broker can check any of them, without the sides ever talking.
 *
 * Who a user name is (its role for the topic ACL of protocol/wire/topic-acl.ts) follows from the name:
 * `mdm-service` is the service, `fleet-clock` the fleet engine's coordinator (service role: it publishes
 * `clock/ctl`), `fleet-host-N` the control client of agent host N (`host` role), `connector-N` a
 * certificate connector, `pfx-connector-{tenant}` a tenant's PFX connector, anything else a device (device ids
 * are Intune device GUIDs, so they never take those names). Whoever holds the secret can act as any of
 * them: treat it like the broker's admin password.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BrokerIdentity, BrokerRole } from '../../protocol/wire/topic-acl.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { witnessSecret } from '../../pki/secret-witness.ts';
import { CredentialTable, type BrokerAccountInit } from '../broker/credential-table.ts';
import { externalBroker, sharedLogin } from '../broker/external-broker.ts';

/** The environment variable that carries the shared secret. */
export const FLEET_SECRET_ENV = 'CERTFLEET_FLEET_SECRET';

/** The MQTT client id (and user name) of the MDM service. */
export const SERVICE_CLIENT_ID = 'mdm-service';

/** The MQTT client id of the fleet engine's coordinator control client (`serve`, `run --workers`). */
export const CLOCK_CLIENT_ID = 'fleet-clock';

/** The control client id (and host id) of agent host `shard` (`agents --shard i/K`). */
export const hostClientId = (shard: number): string => `fleet-host-${shard}`;

const CONNECTOR_ID = /^connector-\d+$/;
const PFX_CONNECTOR_ID = /^pfx-connector-[A-Za-z0-9._-]+$/;
const HOST_ID = /^fleet-host-\d+$/;
const DEVICE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The shared secret from `env` (at least 16 characters).
 * @throws CertfleetError USAGE when it is missing or too short, saying how to make one.
 */
export function fleetSecretFrom(env: Record<string, string | undefined> = process.env): Buffer {
  const value = env[FLEET_SECRET_ENV];
  if (!value || value.length < 16) {
    throw new CertfleetError(
      'USAGE',
      `${value ? 'The' : 'No'} fleet secret${value ? ' is too short' : ''}: set ${FLEET_SECRET_ENV} to the same random value (at least 16 characters, e.g. \`openssl rand -hex 32\`) for certfleet broker, serve and agents.`,
    );
  }
  return witnessSecret('fleet-secret', Buffer.from(value, 'utf8'));
}

/** The password of `clientId`: base64url(HMAC-SHA256(secret, clientId)). */
export function derivePassword(secret: Buffer, clientId: string): string {
  return witnessSecret(
    'broker-password',
    createHmac('sha256', secret).update(clientId, 'utf8').digest('base64url'),
  );
}

/**
 * How a client of a split fleet (`serve`, `agents`) logs in to the broker at `url`: the external broker's one
 * account when CERTFLEET_BROKER_USERNAME/PASSWORD are set (as `certfleet run` does), else as itself with
 * the password derived from the fleet secret.
 */
export function splitFleetLogin(
  url: string,
  secret: Buffer,
  env: Record<string, string | undefined> = process.env,
): (clientId: string) => { username: string; password?: string } {
  const shared = sharedLogin(externalBroker(url, env));
  return (clientId) => shared ?? { username: clientId, password: derivePassword(secret, clientId) };
}

/** The role a user name stands for (see the file comment). */
export function roleOfClientId(name: string): BrokerRole {
  if (name === SERVICE_CLIENT_ID || name === CLOCK_CLIENT_ID) return 'service';
  if (CONNECTOR_ID.test(name) || PFX_CONNECTOR_ID.test(name)) return 'connector';
  if (HOST_ID.test(name)) return 'host';
  return 'device';
}

/** An account with a derived password (for brokers that need a password file: Mosquitto). */
export function derivedAccount(secret: Buffer, name: string): BrokerAccountInit {
  return { role: roleOfClientId(name), name, password: derivePassword(secret, name) };
}

/**
 * A credential table that, besides its own accounts, accepts any user name whose password is derived from
 * the shared secret — what the embedded broker of `certfleet broker` checks logins against, so that it
 * needs no list of devices.
 */
export class SecretCredentialTable extends CredentialTable {
  readonly #secret: Buffer;

  constructor(secret: Buffer, accounts: Iterable<BrokerAccountInit> = []) {
    super(accounts);
    this.#secret = secret;
  }

  override verify(
    username: string | undefined,
    password: Buffer | string | undefined,
  ): BrokerIdentity | undefined {
    const own = super.verify(username, password);
    if (own || username === undefined || password === undefined) return own;
    if (!DEVICE_ID.test(username)) return undefined;
    const expected = Buffer.from(derivePassword(this.#secret, username));
    const given = Buffer.from(password.toString());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return { role: roleOfClientId(username), name: username };
  }
}
