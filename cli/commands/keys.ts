/**
 * `certfleet keys …`: the key pool — make (fill or top up) and show. Handlers parse and delegate to
 * simulator/tools/key-pool (docs/architecture.md house rule 8). The passphrase is read from
 * `CERTFLEET_KEY_POOL_PASSPHRASE` only, never from the command line (where `ps` would show it).
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT, printJson } from '../output.ts';
import { numberCoerce } from '../numeric-options.ts';
import { parsePoolKind, POOL_KINDS } from '../../simulator/tools/key-pool/pool-kind.ts';

const dirOption = {
  type: 'string',
  demandOption: true,
  describe: 'The key pool folder (made by `certfleet keys make`).',
} as const;

const make: CommandModule = {
  command: 'make',
  describe:
    'Fill a key pool in --dir up to --count keys of --kind, on every core (a second call tops it up). Encrypted with CERTFLEET_KEY_POOL_PASSPHRASE.',
  builder: (y: Argv) =>
    y
      .option('dir', dirOption)
      .option('count', {
        type: 'string',
        demandOption: true,
        coerce: numberCoerce({ flag: '--count', min: 1, max: 10_000_000, integer: true }),
        describe: 'How many keys of --kind the pool should hold when done.',
      })
      .option('kind', {
        type: 'string',
        default: 'rsa-2048',
        describe: `Key kind: ${POOL_KINDS.join(', ')}. A run draws rsa-2048 (connectors, Windows devices) and ec-p256 (other devices).`,
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON.' }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { keysMake } = await import('../../simulator/tools/key-pool/keys-command.ts');
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    try {
      const r = await keysMake({
        dir: String(a.dir),
        count: Number(a.count),
        kind: parsePoolKind(String(a.kind)),
        env: process.env,
        signal: stop.signal,
        ...(a.json ? {} : { progress: process.stderr }),
      });
      if (a.json) {
        const { summary: _summary, ...rest } = r;
        printJson(rest);
      } else process.stdout.write(r.summary);
      if (r.stopped) process.exitCode = EXIT.failed;
    } finally {
      process.off('SIGINT', onSignal);
    }
  },
};

const show: CommandModule = {
  command: 'show',
  describe: 'Say how many keys of each kind the pool in --dir holds (checks the passphrase).',
  builder: (y: Argv) =>
    y.option('dir', dirOption).option('json', { type: 'boolean', default: false, describe: 'Print JSON.' }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { keysShow } = await import('../../simulator/tools/key-pool/keys-command.ts');
    const r = keysShow({ dir: String(a.dir), env: process.env });
    if (a.json) printJson({ dir: r.dir, counts: r.counts });
    else process.stdout.write(r.summary);
  },
};

/** `certfleet keys <make|show>` */
export const keysCommand: CommandModule = {
  command: 'keys',
  describe: 'The key pool: pre-made keys, encrypted at rest, that `run --key-pool` draws from.',
  builder: (y: Argv) =>
    y.command(make).command(show).strictCommands().demandCommand(1, 'Name a keys command: make or show.'),
  handler: () => {
    process.exitCode = EXIT.usage;
  },
};
