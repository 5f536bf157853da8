/** `certfleet serve --scenario F --broker URL`: the service side (CA, MDM service, connectors) of a split fleet. */
import type { Argv, CommandModule } from 'yargs';
import type { EngineProgress } from '../../simulator/fleet/engine-fleet.ts';
import type { FleetRun } from '../../simulator/fleet/compose/service-side.ts';
import { DEFAULT_TIME_SCALE } from '../../simulator/fleet/scaled-clock.ts';
import { renderSummary } from '../../simulator/report/console.ts';
import { shouldColor } from '../../simulator/report/ansi.ts';
import { HOST_TIMEOUT_RULE, HOSTS_RULE, numberCoerce } from '../numeric-options.ts';
import { interruptOnSignal } from '../interrupt.ts';
import { EXIT, interruptedExitCode } from '../output.ts';
import { splitFleetOptions, splitKeyPool } from './agents.ts';

/** `certfleet serve --scenario F --broker URL [--time-scale X] [--epoch T] [--out DIR]` */
export const serveCommand: CommandModule = {
  command: 'serve',
  describe:
    'Run the service side (CA, MDM service, connectors) as the coordinator of the shared virtual clock for --hosts K certfleet agents processes (--shard i/K); writes the run folder as run does.',
  builder: (y: Argv) =>
    splitFleetOptions(y)
      .option('hosts', {
        type: 'string',
        default: '1',
        coerce: numberCoerce(HOSTS_RULE),
        describe: `How many agent hosts (certfleet agents --shard i/K) the run waits for, a whole number from 1 to ${HOSTS_RULE.max}.`,
      })
      .option('host-timeout', {
        type: 'string',
        default: '60',
        coerce: numberCoerce(HOST_TIMEOUT_RULE),
        describe:
          'Seconds (wall clock, above 0) every host has to join; a missing shard is then an error (HOST_MISSING).',
      }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts (the fleet engine: most of the CLI's modules)
    const [
      { issueWorkersFrom },
      { claimOutFolder, dropOnUsageError },
      { serveFleet },
      { coordinateFleet },
      { defaultRunDir },
      { failureReporter },
      { checkSplitStart, parseEpoch },
    ] = await Promise.all([
      import('../../pki/pkcs12-pool.ts'),
      import('../../simulator/fleet/run-folder.ts'),
      import('../../simulator/fleet/serve.ts'),
      import('../../simulator/fleet/engine-fleet.ts'),
      import('../../simulator/fleet/run-command.ts'),
      import('../../simulator/report/write-reports.ts'),
      import('../../simulator/fleet/split-fleet.ts'),
    ]);
    // CERTFLEET_ISSUE_WORKERS (the issuance pool the service side opens) refused before anything is written
    issueWorkersFrom(process.env);
    // the fleet secret, --broker and --epoch: usage errors before anything is connected to or written
    const secret = checkSplitStart({ broker: String(a.broker), epoch: a.epoch as string | undefined });
    const pool = await splitKeyPool(a);
    // --out checked and made before anything is written (issue 10 point 4)
    const folder = claimOutFolder(a.out !== undefined ? String(a.out) : `${defaultRunDir()}-serve`);
    const out = folder.dir;
    // SIGINT/SIGTERM stop the run cleanly (issue 10 point 7): reports written and marked interrupted, the
    // broker clients and issuance workers released, exit 130/143; a second signal leaves at once
    const stop = interruptOnSignal(
      'serve',
      'stopping the run at its current virtual instant, writing its reports (marked interrupted) and releasing what it started',
    );
    // a usage error found once the run began takes back the folder it made (README "Reports for CI")
    const dropFolder = dropOnUsageError(folder, stop.promise);
    const scenario = String(a.scenario);
    const broker = String(a.broker);
    const startedAt = Date.now();
    if (!a['wall-paced']) {
      const hosts = Number(a.hosts);
      const progress = engineProgressLine(process.stderr);
      const run = await coordinateFleet({
        scenario,
        broker,
        out,
        hosts,
        hostTimeoutMs: Number(a['host-timeout']) * 1000,
        secret,
        tenant: String(a.tenant),
        ...(a.devices !== undefined ? { devices: Number(a.devices) } : {}),
        ...(a.seed !== undefined ? { seed: String(a.seed) } : {}),
        mqttVersion: Number(a['mqtt-version']) === 5 ? 5 : 4,
        ...pool,
        stop: stop.promise,
        resumable: true,
        onResume: (r) =>
          process.stderr.write(
            `certfleet serve: resuming the unfinished run in ${out} at ${new Date(r.at).toISOString()} ` +
              `(${r.instants} instants closed; ${r.resent} answer(s) sent again, ${r.replayed} kept message(s) taken up)\n`,
          ),
        onHostJoined: (host, shard, rejoined) =>
          process.stderr.write(
            `certfleet serve: host ${host} (shard ${shard.index}/${shard.count}) ${rejoined ? 'rejoined' : 'joined'}\n`,
          ),
        onProgress: progress.update,
        // a scenario that cannot be loaded (exit 3) or a run that fails: junit.xml in --out says why
      })
        .catch(failureReporter(scenario, out, startedAt))
        .catch(dropFolder);
      progress.done();
      stop.dispose();
      return finish(run);
    }
    const run = await serveFleet({
      scenario,
      broker,
      out,
      secret,
      tenant: String(a.tenant),
      timeScale: Number(a['time-scale'] ?? DEFAULT_TIME_SCALE),
      epoch: parseEpoch(a.epoch as string | undefined),
      ...(a.devices !== undefined ? { devices: Number(a.devices) } : {}),
      ...(a.seed !== undefined ? { seed: String(a.seed) } : {}),
      mqttVersion: Number(a['mqtt-version']) === 5 ? 5 : 4,
      ...pool,
      stop: stop.promise,
      onReady: ({ epoch, timeScale }) => {
        process.stderr.write(
          `certfleet serve: connected to ${broker} · epoch ${new Date(epoch).toISOString()} · ${timeScale} virtual ms per real ms\n` +
            `Start the devices with the same epoch and scale (and CERTFLEET_FLEET_SECRET):\n` +
            `  certfleet agents --scenario ${scenario} --broker ${broker} --epoch ${new Date(epoch).toISOString()} --time-scale ${timeScale} [--shard i/n]\n`,
        );
      },
      // a scenario that cannot be loaded (exit 3) or a run that fails: junit.xml in --out says why
    })
      .catch(failureReporter(scenario, out, startedAt))
      .catch(dropFolder);
    stop.dispose();
    finish(run);
  },
};

function finish(run: FleetRun): void {
  const color = shouldColor(process.stdout.isTTY, process.env);
  process.stdout.write(renderSummary(run.result, { color }));
  process.stdout.write(`\nReports: ${run.dir}/report.html, report.json, junit.xml, run.db\n`);
  const interrupted = run.result.interrupted?.signal;
  if (interrupted !== undefined) {
    process.stderr.write(
      `certfleet serve: the run was interrupted by ${interrupted} at virtual ${run.result.interrupted?.at}; reports in ${run.dir}\n`,
    );
    process.exitCode = interruptedExitCode(interrupted);
  } else process.exitCode = run.result.expectations.every((e) => e.held) ? EXIT.ok : EXIT.failed;
}

/**
 * The coordinator's progress line: virtual date, enrolled/installed of the whole fleet, and per host
 * (enrolled/devices). On a terminal it rewrites one line; elsewhere it prints at most every 2 s.
 */
export function engineProgressLine(out: NodeJS.WriteStream): {
  update: (p: EngineProgress) => void;
  done: () => void;
} {
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < (out.isTTY ? 200 : 2000) && p.virtual.now < p.virtual.end) return;
      last = now;
      const hosts = Object.entries(p.hosts)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([h, c]) => `${h} ${c.enrolled ?? 0}/${c.devices ?? 0}`)
        .join(' · ');
      const line =
        `${new Date(p.virtual.now).toISOString().slice(0, 16).replace('T', ' ')} · ` +
        `enrolled ${p.enrolled}/${p.total} · installed ${p.installed}` +
        (hosts ? ` · ${hosts}` : '');
      if (out.isTTY) {
        out.write(`\r\x1b[2K${line}`);
        shown = true;
      } else out.write(`${line}\n`);
    },
    done: () => {
      if (shown) out.write('\n');
    },
  };
}
