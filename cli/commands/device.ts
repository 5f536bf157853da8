/** `certfleet device new`: one seeded device with its attributes and native inventory. */
import type { Argv, CommandModule } from 'yargs';
import {
  ALL_ENROLLMENT_KINDS,
  PLATFORMS,
  type EnrollmentKind,
  type Platform,
} from '../../profiles/model/platform.ts';
import { INDEX_RULE, numberCoerce } from '../numeric-options.ts';
import { printJson } from '../output.ts';

const newDevice: CommandModule = {
  command: 'new',
  describe: 'Generate one device (same seed and index → same device) and print it with its inventory.',
  builder: (y: Argv) =>
    y
      .option('platform', {
        type: 'string',
        choices: [...PLATFORMS],
        describe: 'Platform (drawn from the seed if absent).',
      })
      .option('kind', {
        type: 'string',
        choices: [...ALL_ENROLLMENT_KINDS],
        describe: 'Enrollment kind (must belong to the platform).',
      })
      .option('seed', { type: 'string', default: '0', describe: 'Seed of the fleet.' })
      .option('index', {
        type: 'string',
        default: '0',
        coerce: numberCoerce(INDEX_RULE),
        describe: 'Index of the device in the fleet (a whole number from 0).',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print the whole device and inventory as JSON.',
      }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { newDeviceReport } = await import('../../agent/device/device-report.ts');
    const report = newDeviceReport({
      platform: a.platform as Platform | undefined,
      kind: a.kind as EnrollmentKind | undefined,
      seed: String(a.seed),
      index: Number(a.index),
    });
    if (a.json) {
      printJson(report);
      return;
    }
    const d = report.device;
    const lines = [
      `${d.id}  ${d.platform} ${d.osVersion} (${d.enrollmentKind}${d.supervised ? ', supervised' : ''}, ${d.ownership})`,
      `  ${d.manufacturer} ${d.model}; user: ${d.user ? d.user.userPrincipalName : 'none (user-less)'}`,
      ...Object.entries(d.attributes).map(([k, v]) => `  ${k.padEnd(28)} ${v}`),
      ...Object.entries(d.absent).map(([k, why]) => `  ${k.padEnd(28)} (absent: ${why})`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

/** `certfleet device <new>` */
export const deviceCommand: CommandModule = {
  command: 'device',
  describe: 'Simulated devices: generate one and show its attributes and inventory.',
  builder: (y: Argv) => y.command(newDevice).strictCommands().demandCommand(1, 'Name a device command: new.'),
  handler: () => undefined,
};
