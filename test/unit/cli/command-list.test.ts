/**
 * The CLI's list of commands (cli/commands/index.ts): each name loads the command it names, a line that
 * names its command gets only that command, and any other line gets them all, in `--help` order.
 */
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, commandsFor } from '../../../cli/commands/index.ts';

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
