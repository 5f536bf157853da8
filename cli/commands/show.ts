/** `certfleet show device ID [--run DIR] [--json]`: one device's story from a run folder. */
import type { Argv, CommandModule } from 'yargs';
import { shouldColor } from '../../simulator/report/ansi.ts';

const showDeviceCommand: CommandModule = {
  command: 'device <id>',
  describe:
    'One device of a run: attributes, key-store contents at the end of the run, outcomes and timeline. ID: a full id, a unique prefix, or #index.',
  builder: (y: Argv) =>
    y
      .positional('id', { type: 'string', describe: 'Device id, unique id prefix, or #index (e.g. #3).' })
      .option('run', { type: 'string', describe: 'Run folder (default: the newest folder under runs/).' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the story as JSON.' })
      .option('inventory', {
        type: 'boolean',
        default: false,
        describe: 'Print the whole inventory the device reported.',
      }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { showDevice } = await import('../../simulator/fleet/show-device.ts');
    const shown = showDevice({
      device: String(a.id),
      ...(a.run !== undefined ? { run: String(a.run) } : {}),
      json: Boolean(a.json),
      inventory: Boolean(a.inventory),
      color: shouldColor(process.stdout.isTTY, process.env),
    });
    process.stdout.write(shown.text);
  },
};

/** `certfleet show <device>` */
export const showCommand: CommandModule = {
  command: 'show',
  describe: 'Look into a finished run: show device ID.',
  builder: (y: Argv) =>
    y.command(showDeviceCommand).strictCommands().demandCommand(1, 'Name what to show: device.'),
  handler: () => undefined,
};
