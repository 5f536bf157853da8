/**
 * `certfleet pfx …`: imported PKCS (issue 14 point 3; docs/formats.md §5.4) — import a user's PFX as the PFX
 * import module does, and list what was imported. Handlers parse and delegate to
 * simulator/service/pfx-import (docs/architecture.md house rule 8). The PFX password is read from
 * CERTFLEET_PFX_PASSWORD only.
 */
import type { Argv, CommandModule } from 'yargs';
import { printJson } from '../output.ts';
import {
  pfxImportCommand,
  pfxListCommand,
  PFX_PASSWORD_ENV,
  type ImportedPfx,
} from '../../simulator/service/pfx-import/import-pfx.ts';
import { USER_PFX_INTENDED_PURPOSES } from '../../simulator/service/pfx-import/pfx-store.ts';

const dirOption = {
  type: 'string',
  demandOption: true,
  describe: 'The CA or tenant folder that holds the imported PFXs and the tenant key (made on first import).',
} as const;

function line(r: ImportedPfx): string {
  return `${r.userPrincipalName}  ${r.intendedPurpose}  ${r.thumbprint}  ${r.subject}  until ${r.expirationDateTime}\n`;
}

const importCommand: CommandModule = {
  command: 'import',
  describe: `Import a user's PFX (password in ${PFX_PASSWORD_ENV}); the password is stored encrypted to the tenant key.`,
  builder: (y: Argv) =>
    y
      .option('dir', dirOption)
      .option('user', { type: 'string', demandOption: true, describe: "The user's UPN." })
      .option('file', { type: 'string', demandOption: true, describe: 'The PFX (PKCS#12) file.' })
      .option('purpose', {
        type: 'string',
        demandOption: true,
        describe: `Intended purpose: ${USER_PFX_INTENDED_PURPOSES.join(', ')}.`,
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON.' }),
  handler: async (a) => {
    const r = await pfxImportCommand({
      dir: String(a.dir),
      user: String(a.user),
      file: String(a.file),
      purpose: String(a.purpose),
      env: process.env,
    });
    if (a.json) printJson(r);
    else process.stdout.write(`imported ${line(r)}`);
  },
};

const listCommand: CommandModule = {
  command: 'list',
  describe: 'List the imported PFXs (never their passwords).',
  builder: (y: Argv) =>
    y
      .option('dir', dirOption)
      .option('user', { type: 'string', describe: "Only this user's (UPN)." })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON.' }),
  handler: (a) => {
    const r = pfxListCommand({ dir: String(a.dir), ...(a.user !== undefined && { user: String(a.user) }) });
    if (a.json) printJson(r);
    else process.stdout.write(r.map(line).join('') || 'no imported PFX\n');
  },
};

export const pfxCommand: CommandModule = {
  command: 'pfx',
  describe: 'Imported PKCS: import users\u2019 PFX files and list them.',
  builder: (y: Argv) =>
    y
      .command(importCommand)
      .command(listCommand)
      .strictCommands()
      .demandCommand(1, 'Name a pfx command: import or list.'),
  handler: () => undefined,
};
