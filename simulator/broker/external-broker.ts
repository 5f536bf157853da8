/**
 * An external MQTT broker given by URL (`--broker mqtt://host:port`): EMQX, HiveMQ, a Mosquitto run by
 * someone else. certfleet neither starts nor configures it; its accounts and ACL are managed there. The
 * credentials certfleet uses come from `CERTFLEET_BROKER_USERNAME` / `CERTFLEET_BROKER_PASSWORD`.
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
