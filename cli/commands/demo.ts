/** `certfleet demo`: issue and verify one certificate end to end (a first check of the PKI alone). */
import type { CommandModule } from 'yargs';
import { EXIT } from '../output.ts';

/** `certfleet demo [--dir DIR]` */
export const demoCommand: CommandModule = {
  command: 'demo',
  describe: 'Create a CA, issue a PKCS#12 from a template, and verify its chain.',
  builder: (y) =>
    y.option('dir', {
      type: 'string',
      describe:
        'CA folder to create (a temporary one by default); a folder that holds a CA is refused (CA_EXISTS).',
    }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { runDemo } = await import('../../simulator/demo.ts');
    const r = await runDemo({ dir: a.dir === undefined ? undefined : String(a.dir) });
    process.stdout.write(`${r.lines.join('\n')}\n`);
    if (!r.ok) process.exitCode = EXIT.failed;
  },
};
