/** `certfleet replay ID --run DIR [--out DIR2]`: re-run one device of a run alone, to reproduce its outcomes. */
import type { Argv, CommandModule } from 'yargs';
import { shouldColor } from '../../simulator/report/ansi.ts';
import { EXIT, printJson } from '../output.ts';

/** `certfleet replay ID [--run DIR] [--out DIR2] [--broker URL] [--json]` */
export const replayCommand: CommandModule = {
  command: 'replay <id>',
  describe:
    'Re-run one device of a run alone (same scenario, seed and device index) and compare its outcomes with the run: exit 0 when they match, 1 when not.',
  builder: (y: Argv) =>
    y
      .positional('id', { type: 'string', describe: 'Device id, unique id prefix, or #index.' })
      .option('run', { type: 'string', describe: 'Run folder (default: the newest folder under runs/).' })
      .option('out', {
        type: 'string',
        describe: "The replay's run folder (default <run>/replay/<device id>/).",
      })
      .option('broker', {
        type: 'string',
        default: 'embedded',
        describe: "'embedded', 'mosquitto' or mqtt://host:port, as for certfleet run.",
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON.' }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const [{ brokerChoice }, { replayDevice }] = await Promise.all([
      import('../../simulator/fleet/run-command.ts'),
      import('../../simulator/fleet/replay.ts'),
    ]);
    const r = await replayDevice({
      device: String(a.id),
      ...(a.run !== undefined ? { run: String(a.run) } : {}),
      ...(a.out !== undefined ? { out: String(a.out) } : {}),
      broker: brokerChoice(String(a.broker)),
      color: shouldColor(process.stdout.isTTY, process.env),
    });
    if (a.json) {
      const { text: _text, ...rest } = r;
      printJson(rest);
    } else process.stdout.write(r.text);
    process.exitCode = r.match ? EXIT.ok : EXIT.failed;
  },
};
