/**
 * An external MQTT broker given by URL (`--broker mqtt://host:port`): EMQX, HiveMQ, a Mosquitto run by
 * someone else. certfleet neither starts nor configures it; its accounts and ACL are managed there.
 *
 * Credentials: with `CERTFLEET_BROKER_USERNAME` (and usually `CERTFLEET_BROKER_PASSWORD`) set, every
 * client of the run — the service, each connector, each device — logs in with that one account, each
 * under its own client id (device id, `mdm-service`, `connector-N`), as a shared test broker would be set
 * up; per-device topic isolation is then the broker's ACL on client ids (e.g. Mosquitto `pattern … %c`).
 * Without them, each client logs in as its client id with the password derived from the fleet secret
 * (fleet-secret.ts), which is what a broker started by `certfleet broker` checks.
 *
 * Isolation (issue 10) is then the broker owner's to set up, as the brokers certfleet starts do: a client
 * id bound to its login (Mosquitto `use_username_as_clientid true`; with a shared account, per-client-id
 * ACLs instead), and no retained messages from devices (Mosquitto `retain_available false`; certfleet
 * publishes none).
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { BrokerHandle } from './broker-handle.ts';

/** An external broker and the credentials to use with it. */
export interface ExternalBroker extends BrokerHandle {
  kind: 'external';
  username?: string;
  password?: string;
}

/**
 * Describes the broker at `url`, taking credentials from `env` (default `process.env`).
 * Throws USAGE for a URL that is not `mqtt://`, `mqtts://`, `tcp://` or `ssl://`, or that carries a password.
 */
export function externalBroker(
  url: string,
  env: Record<string, string | undefined> = process.env,
): ExternalBroker {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new CertfleetError('USAGE', `The broker URL '${url}' is not a URL; use mqtt://host:port.`, {
      cause,
    });
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:'].includes(u.protocol)) {
    throw new CertfleetError(
      'USAGE',
      `The broker URL must start with mqtt:// or mqtts://, not ${u.protocol}//.`,
    );
  }
  if (u.password) {
    throw new CertfleetError(
      'USAGE',
      'Do not put the broker password in the URL: set CERTFLEET_BROKER_USERNAME and CERTFLEET_BROKER_PASSWORD.',
    );
  }
  const defaultPort = u.protocol === 'mqtts:' || u.protocol === 'ssl:' ? 8883 : 1883;
  const username = env.CERTFLEET_BROKER_USERNAME || undefined;
  const password = env.CERTFLEET_BROKER_PASSWORD || undefined;
  if (password !== undefined && username === undefined) {
    // MQTT 3.1.1 §3.1.2.9: no password without a user name
    throw new CertfleetError(
      'USAGE',
      'CERTFLEET_BROKER_PASSWORD is set but CERTFLEET_BROKER_USERNAME is not: set both (or neither).',
    );
  }
  return {
    kind: 'external',
    url: `${u.protocol}//${u.host}`,
    port: u.port ? Number(u.port) : defaultPort,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    synced: async () => undefined,
    close: async () => undefined,
  };
}

/**
 * The one account every client of a run logs in with: the external broker's `CERTFLEET_BROKER_USERNAME` /
 * `CERTFLEET_BROKER_PASSWORD` when set; undefined otherwise (and for brokers certfleet starts), when each
 * client logs in as itself.
 */
export function sharedLogin(broker: BrokerHandle): { username: string; password?: string } | undefined {
  if (broker.kind !== 'external') return undefined;
  const { username, password } = broker as ExternalBroker;
  if (username === undefined) return undefined;
  return { username, ...(password !== undefined ? { password } : {}) };
}
