/**
 * The certfleet command line (yargs). Handlers only parse and delegate (docs/architecture.md house rule 8); every option
 * can also be given as a `CERTFLEET_*` environment variable (e.g. `CERTFLEET_DIR` for `--dir`). Variables
 * for options the command does not have are ignored (env-options.ts); unknown flags are usage errors.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { COMMAND_NAMES, commandsFor } from './commands/index.ts';
import { ENV_PREFIX, ignoreUndeclaredEnv } from './env-options.ts';
import { reportFailure } from './output.ts';
import { limitHeapGrowth } from '../simulator/fleet/heap-growth.ts';
import { suggestion } from '../profiles/model/suggest.ts';

limitHeapGrowth();

const args = hideBin(process.argv);

// yargs answers --help before it checks the command: `certfleet bogus --help` printed the CLI's help and
// exited 0, where `certfleet bogus` is a usage error (exit 2). A first word that is no command is one either way.
const first = args[0];
if (first !== undefined && !first.startsWith('-') && !COMMAND_NAMES.includes(first)) {
  const hint = suggestion(first, COMMAND_NAMES, 20);
  process.stderr.write(
    `error USAGE: Unknown command '${first}'${hint}${hint.endsWith('?') ? '' : '.'}\nRun 'certfleet --help' for usage.\n`,
  );
  process.exit(2);
}
const cli = yargs(args)
  .scriptName('certfleet')
  .usage('$0 <command> [options]\n\nSimulate MDM certificate deployment across fleets of devices.')
  .env(ENV_PREFIX)
  .middleware(ignoreUndeclaredEnv(process.env, args), true)
  .strict()
  .demandCommand(1, 'Name a command: see the list above.')
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version()
  .wrap(Math.min(110, process.stdout.columns || 110))
  .fail((msg, err) => {
    // yargs reports its own validation — a `coerce` that refused a value (numeric-options.ts) included — as
    // a YError: a usage error. Anything else is the command's own failure.
    if (err && err.name !== 'YError') throw err;
    // the help of the command the line names (a group's lists its commands), else the CLI's
    const named = args[0] !== undefined && COMMAND_NAMES.includes(args[0]) ? `${args[0]} ` : '';
    process.stderr.write(`error USAGE: ${msg ?? err?.message}\nRun 'certfleet ${named}--help' for usage.\n`);
    process.exit(2);
  });

for (const command of await commandsFor(args)) cli.command(command);

try {
  await cli.parseAsync();
} catch (e) {
  process.exitCode = reportFailure(e);
}
