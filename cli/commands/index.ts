/** Every certfleet command, in the order `--help` lists them. */
import type { CommandModule } from 'yargs';
import { caCommand } from './ca.ts';
import { demoCommand } from './demo.ts';
import { deviceCommand } from './device.ts';
import { inspectCommand } from './inspect.ts';
import { profileCommand } from './profile.ts';
import { replayCommand } from './replay.ts';
import { runCommandModule } from './run.ts';
import { showCommand } from './show.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  runCommandModule,
  showCommand,
  replayCommand,
  demoCommand,
  caCommand,
  deviceCommand,
  inspectCommand,
  profileCommand,
];
