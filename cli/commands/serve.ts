/** `certfleet serve --scenario F --broker URL`: the service side (CA, MDM service, connectors) of a split fleet. */
import type { Argv, CommandModule } from 'yargs';
import { fleetSecretFrom } from '../../simulator/fleet/fleet-secret.ts';
import { serveFleet } from '../../simulator/fleet/serve.ts';
import { DEFAULT_TIME_SCALE, parseEpoch } from '../../simulator/fleet/split-fleet.ts';
import { untilSignal } from '../../simulator/fleet/until-signal.ts';
import { defaultRunDir } from '../../simulator/fleet/run-command.ts';
import { renderSummary } from '../../simulator/report/console.ts';
import { shouldColor } from '../../simulator/report/ansi.ts';
import { failureReporter } from '../../simulator/report/write-reports.ts';
import { EXIT } from '../output.ts';
import { splitFleetOptions } from './agents.ts';

/** `certfleet serve --scenario F --broker URL [--time-scale X] [--epoch T] [--out DIR]` */
export const serveCommand: CommandModule = {
  command: 'serve',
  describe:
    'Run the service side alone (CA, MDM service, connectors) against a broker, on scaled real time, for certfleet agents in other processes; writes the reports at the end.',
  builder: (y: Argv) => splitFleetOptions(y),
  handler: async (a) => {
    const stop = untilSignal();
    const out = a.out !== undefined ? String(a.out) : `${defaultRunDir()}-serve`;
    const scenario = String(a.scenario);
    const broker = String(a.broker);
    const startedAt = Date.now();
    const run = await serveFleet({
      scenario,
      broker,
      out,
      secret: fleetSecretFrom(process.env),
      tenant: String(a.tenant),
      timeScale: Number(a['time-scale'] ?? DEFAULT_TIME_SCALE),
      epoch: parseEpoch(a.epoch as string | undefined),
      ...(a.devices !== undefined ? { devices: Number(a.devices) } : {}),
      ...(a.seed !== undefined ? { seed: String(a.seed) } : {}),
      mqttVersion: Number(a['mqtt-version']) === 5 ? 5 : 4,
      stop: stop.promise,
      onReady: ({ epoch, timeScale }) => {
        process.stderr.write(
          `certfleet serve: connected to ${broker} · epoch ${new Date(epoch).toISOString()} · ${timeScale} virtual ms per real ms\n` +
            `Start the devices with the same epoch and scale (and CERTFLEET_FLEET_SECRET):\n` +
            `  certfleet agents --scenario ${scenario} --broker ${broker} --epoch ${new Date(epoch).toISOString()} --time-scale ${timeScale} [--shard i/n]\n`,
        );
      },
      // a scenario that cannot be loaded (exit 3) or a run that fails: junit.xml in --out says why
    }).catch(failureReporter(scenario, out, startedAt));
    stop.dispose();
    const color = shouldColor(process.stdout.isTTY, process.env);
    process.stdout.write(renderSummary(run.result, { color }));
    process.stdout.write(`\nReports: ${run.dir}/report.html, report.json, junit.xml, run.db\n`);
    process.exitCode = run.result.expectations.every((e) => e.held) ? EXIT.ok : EXIT.failed;
  },
};
