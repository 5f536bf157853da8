/** Every certfleet command, in the order `--help` lists them. */
import type { Argv, CommandModule } from 'yargs';
import { agentsCommand } from './agents.ts';
import { brokerCommand } from './broker.ts';
import { caCommand } from './ca.ts';
import { demoCommand } from './demo.ts';
import { deviceCommand } from './device.ts';
import { diffCommand } from './diff.ts';
import { inspectCommand } from './inspect.ts';
import { keysCommand } from './keys.ts';
import { pfxCommand } from './pfx.ts';
import { profileCommand } from './profile.ts';
import { replayCommand } from './replay.ts';
import { runCommandModule } from './run.ts';
import { scepCommand } from './scep.ts';
import { serveCommand } from './serve.ts';
import { showCommand } from './show.ts';

/**
 * Every command accepts (hidden) `--fleet-secret`, so that `CERTFLEET_FLEET_SECRET` in the environment — the
 * shared secret of a split fleet (simulator/fleet/fleet-secret.ts) — is not an unknown argument to yargs'
 * strict mode (`.env('CERTFLEET')` turns every CERTFLEET_* variable into an option). The commands read the
 * secret from the environment, never from the command line.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function acceptFleetSecret(c: CommandModule<any, any>): CommandModule<any, any> {
  const builder = c.builder;
  return {
    ...c,
    builder: (y: Argv) => {
      const base = typeof builder === 'function' ? builder(y) : builder ? y.options(builder) : y;
      return (base as Argv).option('fleet-secret', { type: 'string', hidden: true });
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const list: CommandModule<any, any>[] = [
  runCommandModule,
  showCommand,
  diffCommand,
  replayCommand,
  brokerCommand,
  serveCommand,
  agentsCommand,
  demoCommand,
  caCommand,
  scepCommand,
  keysCommand,
  pfxCommand,
  deviceCommand,
  inspectCommand,
  profileCommand,
];

/** The commands, in `--help` order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = list.map(acceptFleetSecret);
