/**
 * What every broker the project starts or points at looks like to the fleet runner, the CLI and tests:
 * the embedded aedes broker (embedded-broker.ts), the same in a child process (child-broker.ts), a Mosquitto the project starts (mosquitto.ts), or an
 * external broker given by URL (external-broker.ts).
 */
import type { CredentialTable } from './credential-table.ts';

/** A running (or external) MQTT broker. */
export interface BrokerHandle {
  kind: 'embedded' | 'child' | 'mosquitto' | 'external';
  /** `mqtt://127.0.0.1:PORT` (or `mqtts://…` with TLS). */
  url: string;
  port: number;
  /**
   * Where enrolled devices connect with their management certificate, when that is another listener than
   * {@link url} (Mosquitto with `--tls`: `url` takes passwords, this one client certificates only).
   */
  deviceTlsUrl?: string;
  /**
   * The accounts the broker accepts; changes apply to new connections (the Mosquitto broker rewrites its
   * password and ACL files and reloads). Undefined for an external broker: its accounts are managed there.
   */
  credentials?: CredentialTable;
  /** Resolves once a credentials change has reached the broker (immediate for the embedded broker). */
  synced(): Promise<void>;
  /** Stops the broker (and removes its files); a no-op for an external broker. */
  close(): Promise<void>;
}
