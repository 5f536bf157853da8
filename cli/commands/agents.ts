/** `certfleet agents --scenario F --broker URL [--shard i/n]`: the devices of a split fleet. */
import type { Argv, CommandModule } from 'yargs';
import type { AgentsRun } from '../../simulator/fleet/agents.ts';
import { FLEET_SECRET_ENV } from '../../simulator/fleet/fleet-secret.ts';
import { DEFAULT_TIME_SCALE } from '../../simulator/fleet/scaled-clock.ts';
import { DEVICES_RULE, numberCoerce, TIME_SCALE_RULE } from '../numeric-options.ts';
import { seedCoerce } from '../seed-option.ts';
import { tenantCoerce } from '../tenant-option.ts';
import { interruptOnSignal } from '../interrupt.ts';
import { keyOriginsLine } from '../../simulator/report/console.ts';
import { interruptedExitCode, printJson } from '../output.ts';
import type { RunKeyPoolOption } from '../../simulator/tools/key-pool/process-pool.ts';

/** The options `serve` and `agents` share. */
export function splitFleetOptions(y: Argv): Argv {
  return y
    .option('scenario', {
      type: 'string',
      demandOption: true,
      describe: 'Scenario file (the same on every side).',
    })
    .option('broker', {
      type: 'string',
      demandOption: true,
      describe: `Broker URL (certfleet broker, Mosquitto…); logins derive from ${FLEET_SECRET_ENV}.`,
    })
    .option('wall-paced', {
      type: 'boolean',
      default: false,
      describe:
        "NOT reproducible: run on a scaled wall clock (--time-scale, --epoch) instead of the shared virtual clock; outcomes depend on the machines' speed. Same on every side.",
    })
    .option('time-scale', {
      type: 'string',
      default: String(DEFAULT_TIME_SCALE),
      coerce: numberCoerce(TIME_SCALE_RULE),
      describe: 'With --wall-paced only: virtual ms per real ms (60: a virtual minute per second).',
    })
    .option('epoch', {
      type: 'string',
      describe: 'With --wall-paced only: real time (ISO-8601 or epoch ms) at which the scenario starts.',
    })
    .option('tenant', {
      type: 'string',
      default: 'contoso',
      coerce: tenantCoerce,
      describe: 'Tenant (topic tree): letters, digits, . _ -.',
    })
    .option('devices', {
      type: 'string',
      coerce: numberCoerce(DEVICES_RULE),
      describe: 'Fleet size, a whole number from 1 (overrides the scenario; same on every side).',
    })
    .option('seed', {
      type: 'string',
      coerce: seedCoerce(),
      describe: 'Seed, a text that is not empty (overrides the scenario; same on every side).',
    })
    .option('mqtt-version', { type: 'number', choices: [4, 5], default: 4, describe: 'MQTT 3.1.1 (4) or 5.' })
    .option('out', {
      type: 'string',
      describe: 'Output folder (default runs/<timestamp>-serve or -agents-i-of-n).',
    })
    .option('key-pool', {
      type: 'string',
      describe:
        "Draw keys from this key pool (certfleet keys make): serve its connector keys, each agents process its devices' keys, each from its own share computed from the scenario and --shard (the same pool on every side), a key for at most one certificate; fresh keys when a share runs dry. Passphrase: CERTFLEET_KEY_POOL_PASSPHRASE.",
    })
    .option('key-reuse', {
      type: 'boolean',
      default: false,
      describe:
        "With --key-pool: cycle this side's share when it runs dry (a load test); the report says keys were shared.",
    });
}

/** `--key-pool` / `--key-reuse` of serve and agents (passphrase from CERTFLEET_KEY_POOL_PASSPHRASE). */
export async function splitKeyPool(a: Record<string, unknown>): Promise<{ keyPool?: RunKeyPoolOption }> {
  const { keyPoolOption } = await import('../../simulator/tools/key-pool/process-pool.ts');
  const keyPool = keyPoolOption({
    dir: a['key-pool'] !== undefined ? String(a['key-pool']) : undefined,
    reuse: Boolean(a['key-reuse']),
    env: process.env,
  });
  return keyPool ? { keyPool } : {};
}

/** `certfleet agents --scenario F --broker URL [--shard i/n] [--time-scale X] [--epoch T] [--out DIR]` */
export const agentsCommand: CommandModule = {
  command: 'agents',
  describe:
    'Run one agent host: the devices of shard i of n (index mod n = i) against a broker, on the virtual clock of `certfleet serve --hosts n`; exits when serve ends the run. Key stores go to <out>/agents.db (kept: a restart with the same command rejoins).',
  builder: (y: Argv) =>
    splitFleetOptions(y)
      .option('shard', {
        type: 'string',
        describe: 'i/n: run the devices whose index mod n is i (0 ≤ i < n).',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the per-device summary as JSON.' }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts (the fleet engine: most of the CLI's modules)
    const [
      { checkSplitStart, parseEpoch, parseShard },
      { claimOutFolder, dropOnUsageError },
      { runAgents },
      { hostShard },
      { defaultRunDir },
    ] = await Promise.all([
      import('../../simulator/fleet/split-fleet.ts'),
      import('../../simulator/fleet/run-folder.ts'),
      import('../../simulator/fleet/agents.ts'),
      import('../../simulator/fleet/engine-fleet.ts'),
      import('../../simulator/fleet/run-command.ts'),
    ]);
    const shard = parseShard(a.shard as string | undefined);
    // the fleet secret, --broker and --epoch: usage errors before anything is connected to or written
    const secret = checkSplitStart({ broker: String(a.broker), epoch: a.epoch as string | undefined });
    const pool = await splitKeyPool(a);
    // --out checked and made before anything is written (issue 10 point 4)
    const folder = claimOutFolder(
      a.out !== undefined ? String(a.out) : `${defaultRunDir()}-agents-${shard.index}-of-${shard.count}`,
    );
    const out = folder.dir;
    // SIGINT/SIGTERM (issue 10 point 7): the host leaves the run at its current instant, closes its key
    // stores (kept: the same command rejoins) and its broker clients, exit 130/143
    const stop = interruptOnSignal(
      'agents',
      'leaving the run at its current virtual instant, closing the key stores (kept for a restart) and the broker clients',
    );
    // a usage error found once the host began takes back the folder it made (README "Reports for CI")
    const dropFolder = dropOnUsageError(folder, stop.promise);
    if (!a['wall-paced']) {
      const run = await hostShard({
        scenario: String(a.scenario),
        broker: String(a.broker),
        out,
        shard,
        secret,
        tenant: String(a.tenant),
        ...(a.devices !== undefined ? { devices: Number(a.devices) } : {}),
        ...(a.seed !== undefined ? { seed: String(a.seed) } : {}),
        mqttVersion: Number(a['mqtt-version']) === 5 ? 5 : 4,
        ...pool,
        stop: stop.promise,
        onReady: ({ devices, host }) =>
          process.stderr.write(
            `certfleet agents: shard ${shard.index}/${shard.count} (host ${host}), ${devices} devices · waiting for certfleet serve --hosts ${shard.count}\n`,
          ),
      }).catch(dropFolder);
      stop.dispose();
      return printAgents(run, Boolean(a.json));
    }
    const run = await runAgents({
      scenario: String(a.scenario),
      broker: String(a.broker),
      out,
      shard,
      secret,
      tenant: String(a.tenant),
      timeScale: Number(a['time-scale'] ?? DEFAULT_TIME_SCALE),
      epoch: parseEpoch(a.epoch as string | undefined),
      ...(a.devices !== undefined ? { devices: Number(a.devices) } : {}),
      ...(a.seed !== undefined ? { seed: String(a.seed) } : {}),
      mqttVersion: Number(a['mqtt-version']) === 5 ? 5 : 4,
      ...pool,
      stop: stop.promise,
      onReady: ({ devices, epoch, timeScale }) =>
        process.stderr.write(
          `certfleet agents: shard ${shard.index}/${shard.count}, ${devices} devices · epoch ${new Date(epoch).toISOString()} · ${timeScale}x\n`,
        ),
    }).catch(dropFolder);
    stop.dispose();
    printAgents(run, Boolean(a.json));
  },
};

function printAgents(run: AgentsRun, json: boolean): void {
  if (run.interrupted !== undefined) {
    process.stderr.write(
      `certfleet agents: interrupted by ${run.interrupted}; key stores kept in ${run.storePath} (the same command rejoins the run)\n`,
    );
    process.exitCode = interruptedExitCode(run.interrupted);
  }
  if (json) return printJson(run);
  for (const d of run.devices) {
    const outcomes = Object.entries(d.outcomes)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ');
    process.stdout.write(
      `#${d.index} ${d.id} ${d.platform.padEnd(7)} ${d.enrolled ? 'enrolled' : 'NOT enrolled'} · ${d.storeItems} store items · ${outcomes || 'no installs'}\n`,
    );
  }
  if (run.keys) process.stdout.write(`${keyOriginsLine(run.keys)}\n`);
  process.stdout.write(`Key stores: ${run.storePath}\n`);
}
