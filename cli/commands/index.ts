/** Every certfleet command, in the order `--help` lists them. */
import type { Argv, CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

/**
 * Every command accepts (hidden) `--fleet-secret`, so that `CERTFLEET_FLEET_SECRET` in the environment — the
 * shared secret of a split fleet (simulator/fleet/fleet-secret.ts) — is not an unknown argument to yargs'
 * strict mode (`.env('CERTFLEET')` turns every CERTFLEET_* variable into an option). The commands read the
 * secret from the environment, never from the command line.
 */
function acceptFleetSecret(c: AnyCommand): AnyCommand {
  const builder = c.builder;
  return {
    ...c,
    builder: (y: Argv) => {
      const base = typeof builder === 'function' ? builder(y) : builder ? y.options(builder) : y;
      return (base as Argv).option('fleet-secret', { type: 'string', hidden: true });
    },
  };
}

/**
 * Each command's definition, by the name typed after `certfleet`, in `--help` order. Loaded on demand: a
 * command line that names its command loads only that command's definition (each definition in turn loads
 * its implementation only when it runs), so that a CLI start costs what the command needs.
 */
const LOADERS: Record<string, () => Promise<AnyCommand>> = {
  run: async () => (await import('./run.ts')).runCommandModule,
  show: async () => (await import('./show.ts')).showCommand,
  diff: async () => (await import('./diff.ts')).diffCommand,
  replay: async () => (await import('./replay.ts')).replayCommand,
  broker: async () => (await import('./broker.ts')).brokerCommand,
  serve: async () => (await import('./serve.ts')).serveCommand,
  agents: async () => (await import('./agents.ts')).agentsCommand,
  demo: async () => (await import('./demo.ts')).demoCommand,
  ca: async () => (await import('./ca.ts')).caCommand,
  scep: async () => (await import('./scep.ts')).scepCommand,
  keys: async () => (await import('./keys.ts')).keysCommand,
  pfx: async () => (await import('./pfx.ts')).pfxCommand,
  device: async () => (await import('./device.ts')).deviceCommand,
  inspect: async () => (await import('./inspect.ts')).inspectCommand,
  profile: async () => (await import('./profile.ts')).profileCommand,
};

/** Every command's name, in `--help` order. */
export const COMMAND_NAMES: readonly string[] = Object.keys(LOADERS);

/**
 * The commands yargs needs for these arguments (those after `certfleet`): only the command named first,
 * or every command when the line starts otherwise (`--help`, no command, a mistyped name that yargs
 * answers with the closest command).
 */
export async function commandsFor(args: readonly string[]): Promise<AnyCommand[]> {
  const first = args[0];
  const names = first !== undefined && Object.hasOwn(LOADERS, first) ? [first] : COMMAND_NAMES;
  const loaded = await Promise.all(names.map((n) => (LOADERS[n] as () => Promise<AnyCommand>)()));
  return loaded.map(acceptFleetSecret);
}
