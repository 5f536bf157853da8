/** `certfleet broker [--port P] [--tenant T] [--data DIR]`: the embedded MQTT broker alone, for a fleet split over processes. */
import type { Argv, CommandModule } from 'yargs';
import { FLEET_SECRET_ENV, fleetSecretFrom } from '../../simulator/fleet/fleet-secret.ts';
import { untilSignal } from '../../simulator/fleet/until-signal.ts';
import { DEVICES_RULE, numberCoerce, PORT_RULE } from '../numeric-options.ts';
import { tenantCoerce } from '../tenant-option.ts';

/** `certfleet broker [--port P] [--host H] [--tenant T] [--mosquitto --scenario F]` */
export const brokerCommand: CommandModule = {
  command: 'broker',
  describe: `Run the MQTT broker alone (embedded aedes, or Mosquitto) until Ctrl-C, for certfleet serve and certfleet agents in other processes; passwords derive from ${FLEET_SECRET_ENV}.`,
  builder: (y: Argv) =>
    y
      .option('port', {
        type: 'string',
        default: '0',
        coerce: numberCoerce(PORT_RULE),
        describe: 'Port to listen on (0: a free one).',
      })
      .option('host', {
        type: 'string',
        default: '127.0.0.1',
        describe: 'Interface to listen on (0.0.0.0 for agents on other machines).',
      })
      .option('tenant', {
        type: 'string',
        default: 'contoso',
        coerce: tenantCoerce,
        describe: 'Tenant whose topic tree the ACL protects: letters, digits, . _ -.',
      })
      .option('mosquitto', {
        type: 'boolean',
        default: false,
        describe:
          "Start Mosquitto instead, with accounts for the --scenario's service, connectors and devices.",
      })
      .option('data', {
        type: 'string',
        describe:
          'Folder for the broker state: persistent sessions and queued messages survive a restart on it (embedded: broker.db, SQLite; Mosquitto: its persistence database).',
      })
      .option('scenario', { type: 'string', describe: 'Scenario file (with --mosquitto).' })
      // started by `certfleet run --broker child` only (its accounts come over the IPC channel)
      .option('child', { type: 'boolean', default: false, hidden: true })
      .option('devices', {
        type: 'string',
        coerce: numberCoerce(DEVICES_RULE),
        describe: 'Fleet size (with --mosquitto; overrides the scenario).',
      }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    if (a.child)
      return (await import('../../simulator/broker/child-broker.ts')).serveChildBroker(String(a.tenant));
    const { startFleetBroker } = await import('../../simulator/fleet/fleet-broker.ts');
    const secret = fleetSecretFrom(process.env);
    const stop = untilSignal();
    const broker = await startFleetBroker({
      tenant: String(a.tenant),
      secret,
      host: String(a.host),
      port: Number(a.port),
      ...(a.data !== undefined ? { data: String(a.data) } : {}),
      ...(a.mosquitto
        ? {
            mosquitto: {
              scenario: String(a.scenario ?? 'scenarios/default.yaml'),
              ...(a.devices !== undefined ? { devices: Number(a.devices) } : {}),
            },
          }
        : {}),
    });
    process.stdout.write(
      `certfleet broker (${broker.kind}) listening on ${broker.url} · tenant ${String(a.tenant)}` +
        `${a.data !== undefined ? ` · state in ${String(a.data)}` : ''}\n` +
        `Logins: user name = client id, password = base64url(HMAC-SHA256(${FLEET_SECRET_ENV}, client id)).\n` +
        `Next, with the same ${FLEET_SECRET_ENV} in the environment:\n` +
        `  certfleet serve  --scenario F --broker ${broker.url}\n` +
        `  certfleet agents --scenario F --broker ${broker.url} [--shard i/n]\n` +
        `Ctrl-C stops the broker.\n`,
    );
    const signal = await stop.promise;
    stop.dispose();
    await broker.close();
    process.stdout.write(`certfleet broker stopped (${signal}).\n`);
  },
};
