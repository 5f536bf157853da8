/**
 * The CLI's list of commands (cli/commands/index.ts): each name loads the command it names, a line that
 * names its command gets only that command, and any other line gets them all, in `--help` order.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, commandsFor } from '../../../cli/commands/index.ts';
import { BIN, cliEnv } from '../../e2e/fixtures/certfleet-cli.ts';

/** The name a command module answers to: the first word of its `command`. */
function nameOf(c: { command?: string | readonly string[] }): string {
  const command = Array.isArray(c.command) ? c.command[0] : c.command;
  return String(command).split(' ')[0] as string;
}

describe('the command list', () => {
  it('every name loads the command of that name, in --help order', async () => {
    const all = await commandsFor([]);
    expect(all.map(nameOf)).toEqual([...COMMAND_NAMES]);
    expect(COMMAND_NAMES.length).toBe(15);
  });

  it('a line that names a command gets only that command, options after it included', async () => {
    for (const name of COMMAND_NAMES) {
      const got = await commandsFor([name, '--help']);
      expect(got.map(nameOf)).toEqual([name]);
    }
  });

  it('a line that starts with an option, names no command or mistypes one gets every command', async () => {
    for (const args of [['--help'], [], ['profil', 'compile'], ['--version', 'run'], ['toString']]) {
      expect((await commandsFor(args)).map(nameOf)).toEqual([...COMMAND_NAMES]);
    }
  });

  it('every command still accepts the hidden --fleet-secret', async () => {
    const [run] = await commandsFor(['run']);
    expect(typeof run?.builder).toBe('function');
  });
});

describe('regression (QA walkthrough): an unknown subcommand is named, not the options after it', () => {
  const cli = (args: string[]) => {
    // the timeout only ends a hung child (spawnSync blocks the test's own timer)
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stderr: r.stderr };
  };

  it('show widget x --run R: the unknown words, and the help of show', () => {
    // before: "Unknown arguments: run, x" — it flagged the valid --run and never named widget
    expect(cli(['show', 'widget', 'x', '--run', 'R'])).toEqual({
      status: 2,
      stderr: "error USAGE: Unknown commands: widget, x\nRun 'certfleet show --help' for usage.\n",
    });
  });

  it('ca widget, pfx alone: the group says so and points to its own help', () => {
    expect(cli(['ca', 'widget'])).toEqual({
      status: 2,
      stderr: "error USAGE: Unknown command: widget\nRun 'certfleet ca --help' for usage.\n",
    });
    expect(cli(['pfx'])).toEqual({
      status: 2,
      stderr: "error USAGE: Name a pfx command: import or list.\nRun 'certfleet pfx --help' for usage.\n",
    });
  });

  it('an unknown first word is a usage error with or without --help (--help printed the CLI help, exit 0)', () => {
    expect(cli(['import', '--help'])).toEqual({
      status: 2,
      stderr:
        "error USAGE: Unknown command 'import' (use one of: run, show, diff, replay, broker, serve, agents, demo, ca, scep, keys, pfx, device, inspect, profile).\nRun 'certfleet --help' for usage.\n",
    });
    expect(cli(['rn'])).toEqual({
      status: 2,
      stderr: "error USAGE: Unknown command 'rn': did you mean 'run'?\nRun 'certfleet --help' for usage.\n",
    });
  });
});
