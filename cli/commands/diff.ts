/** `certfleet diff RUN_A RUN_B [--json] [--limit N]`: what changed between two runs. */
import type { Argv, CommandModule } from 'yargs';
import { shouldColor } from '../../simulator/report/ansi.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { EXIT } from '../output.ts';

/** `certfleet diff <a> <b>` */
export const diffCommand: CommandModule = {
  command: 'diff <a> <b>',
  describe:
    'Compare two runs (run folders): each run’s verdict (passed, failed, interrupted), counts per platform × profile, devices whose outcome changed (both codes), expectations that flipped. Exit 1 when something that passed in A fails in B: A passed and B failed or was interrupted, a row installed in A fails in B, or an expectation held in A breaks in B.',
  builder: (y: Argv) =>
    y
      .positional('a', { type: 'string', describe: 'Run folder A (before), e.g. runs/<timestamp>.' })
      .positional('b', { type: 'string', describe: 'Run folder B (after).' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the diff as JSON.' })
      .option('limit', {
        type: 'number',
        default: 20,
        describe: 'Devices listed per kind of change in the text form (0: all).',
      }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { diffRuns, renderDiff } = await import('../../simulator/report/diff.ts');
    const limit = Number(a.limit);
    if (!Number.isInteger(limit) || limit < 0)
      throw new CertfleetError(
        'USAGE',
        `--limit must be a whole number ≥ 0 (0 lists all), not ${String(a.limit)}.`,
      );
    const d = diffRuns(String(a.a), String(a.b));
    process.stdout.write(
      a.json
        ? `${JSON.stringify(d, null, 2)}\n`
        : renderDiff(d, { color: shouldColor(process.stdout.isTTY, process.env), limit }),
    );
    process.exitCode = d.regressed ? EXIT.failed : EXIT.ok;
  },
};
