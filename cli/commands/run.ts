/** `certfleet run [SCENARIO]`: the main job — a fleet run with reports. */
import type { Argv, CommandModule } from 'yargs';
import { availableParallelism } from 'node:os';
import { AUTO_CHILD_BROKER_MIN_DEVICES, MAX_AGENT_HOSTS } from '../../simulator/fleet/auto-workers.ts';
import type { runCommand } from '../../simulator/fleet/run-command.ts';
import { DEVICES_RULE, numberCoerce, WORKERS_RULE } from '../numeric-options.ts';
import { interruptOnSignal } from '../interrupt.ts';
import { seedCoerce } from '../seed-option.ts';
import { EXIT, interruptedExitCode } from '../output.ts';

/** `certfleet run [SCENARIO] [--devices N] [--seed S] [--broker URL] [--out DIR] [--json]` */
export const runCommandModule: CommandModule = {
  command: 'run [scenario]',
  describe: 'Run a scenario: service + connectors + CA, a broker, and a fleet of devices; then report.',
  builder: (y: Argv) =>
    y
      .positional('scenario', {
        type: 'string',
        default: 'scenarios/default.yaml',
        describe: 'Scenario file (YAML).',
      })
      .option('devices', {
        type: 'string',
        coerce: numberCoerce(DEVICES_RULE),
        describe: 'Fleet size, a whole number from 1 (overrides the scenario).',
      })
      .option('seed', {
        type: 'string',
        coerce: seedCoerce(),
        describe: 'Seed, a text that is not empty (overrides the scenario).',
      })
      .option('broker', {
        type: 'string',
        describe:
          `Default: 'embedded', or 'child' for a fleet of ${AUTO_CHILD_BROKER_MIN_DEVICES} devices or more (without --workers). ` +
          "'embedded' (aedes, in-process), 'child' (the same aedes broker in a child process of the run: one open file per device in each process instead of two in one), 'mosquitto' (started for the run), or an external mqtt://host:port. " +
          'External broker: with CERTFLEET_BROKER_USERNAME and CERTFLEET_BROKER_PASSWORD set, every client of the run ' +
          '(service, connectors, each device under its own client id) logs in with that one account; without them each ' +
          'logs in as its client id with a password derived from CERTFLEET_FLEET_SECRET (a `certfleet broker`).',
      })
      .option('tls', {
        type: 'boolean',
        default: false,
        describe:
          'TLS broker: each enrolled device connects with its device-management certificate as client certificate (embedded broker or --broker mosquitto; on Mosquitto the virtual start moves into the wall-clock past).',
      })
      .option('mqtt-version', {
        type: 'number',
        choices: [4, 5],
        default: 4,
        describe:
          'MQTT 3.1.1 (4) or 5 (Mosquitto or an external broker; the embedded aedes speaks 3.1.1 only).',
      })
      .option('workers', {
        type: 'string',
        coerce: numberCoerce(WORKERS_RULE),
        describe: `Agent hosts as child processes, a whole number from 0 to ${MAX_AGENT_HOSTS} (certfleet agents --shard i/N over a loopback embedded broker, on the shared virtual clock); 0: everything in this process. Same outcomes either way. Default: 0 — one process, with the broker in a child process (--broker child) for a fleet of ${AUTO_CHILD_BROKER_MIN_DEVICES} devices or more, where one process cannot hold both ends of every device's socket; one agent host per core (${availableParallelism()} here) costs more CPU on one machine (README "At scale").`,
      })
      .option('key-pool', {
        type: 'string',
        describe:
          'Draw connector and device keys (RSA-2048, EC P-256) from this key pool (certfleet keys make), each key for at most one certificate in the run (with --workers, each process from its own share); fresh keys when it runs dry. Passphrase: CERTFLEET_KEY_POOL_PASSPHRASE.',
      })
      .option('key-reuse', {
        type: 'boolean',
        default: false,
        describe:
          'With --key-pool: cycle the pool when it runs dry (a load test); the report says keys were shared.',
      })
      .option('out', { type: 'string', describe: 'Run folder (default runs/<timestamp>/).' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print report.json instead of the table.',
      }),
  handler: async (a) => {
    // SIGINT/SIGTERM stop the run cleanly (issue 10 point 7): reports written and marked interrupted, every
    // broker and child process stopped, exit 130/143. A second signal leaves at once, without cleaning up.
    const stop = new AbortController();
    const signals = interruptOnSignal(
      'run',
      'stopping the run at its current virtual instant, writing its reports (marked interrupted) and stopping what it started',
    );
    void signals.promise.then((s) => stop.abort(s));
    let r: Awaited<ReturnType<typeof runCommand>>;
    try {
      // loaded when the command runs, not when the CLI starts (the fleet engine: most of the CLI's modules)
      const { runCommand } = await import('../../simulator/fleet/run-command.ts');
      r = await runCommand({
        scenario: String(a.scenario),
        ...(a.devices !== undefined ? { devices: Number(a.devices) } : {}),
        ...(a.seed !== undefined ? { seed: String(a.seed) } : {}),
        ...(a.broker !== undefined ? { broker: String(a.broker) } : {}),
        mqttVersion: Number(a['mqtt-version']) === 5 ? 5 : 4,
        tls: Boolean(a.tls),
        ...(a.out !== undefined ? { out: String(a.out) } : {}),
        json: Boolean(a.json),
        ...(a.workers !== undefined ? { workers: Number(a.workers) } : {}),
        ...(a['key-pool'] !== undefined ? { keyPool: String(a['key-pool']) } : {}),
        ...(a['key-reuse'] ? { keyReuse: true } : {}),
        stop: stop.signal,
      });
    } finally {
      signals.dispose();
    }
    if (r.interrupted !== undefined) {
      process.stderr.write(`certfleet: the run was interrupted by ${r.interrupted}; reports in ${r.dir}\n`);
      process.exitCode = interruptedExitCode(r.interrupted);
    } else process.exitCode = r.passed ? EXIT.ok : EXIT.failed;
  },
};
