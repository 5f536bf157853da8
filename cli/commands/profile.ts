/**
 * `certfleet profile …`: import a profile (Graph JSON or certfleet's own JSON) into the validated model, and
 * compile it for one device into the native payload that device receives. Handlers parse and delegate to
 * simulator/service/compile (docs/architecture.md house rule 8).
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT, printJson } from '../output.ts';
import { formatWarnings } from '../../profiles/model/problem.ts';

const importCommand: CommandModule = {
  command: 'import <file>',
  describe: 'Read a Graph JSON (or certfleet) profile, validate it, and print the model.',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'The profile JSON file.' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the model as JSON.' }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { profileImport } = await import('../../simulator/tools/profile-commands.ts');
    const r = profileImport({ file: String(a.file) });
    // Warnings go to stderr in both modes; --json also carries them under `warnings` beside the model, which
    // imports again (the reader drops that key).
    process.stderr.write(formatWarnings(r.warnings));
    if (a.json) printJson(r.json);
    else process.stdout.write(r.summary);
  },
};

const compileCommand: CommandModule = {
  command: 'compile',
  describe:
    'Write the native payload (SyncML, .mobileconfig or Android policy) a device receives for a profile.',
  builder: (y: Argv) =>
    y
      .option('profile', {
        type: 'string',
        demandOption: true,
        describe: 'Profile file (Graph JSON or certfleet JSON).',
      })
      .option('device', {
        type: 'string',
        demandOption: true,
        describe: 'Device file, as `certfleet device new --json` prints it.',
      })
      .option('ca', {
        type: 'string',
        describe:
          'CA folder (`certfleet ca init`); required for PKCS profiles and Windows SCEP profiles (the root thumbprint).',
      })
      .option('challenge', {
        type: 'string',
        describe: 'SCEP profiles: the one-time challenge the device enrols with.',
      })
      .option('scep-url', {
        type: 'string',
        describe: "SCEP profiles: the SCEP server URL, in place of the profile's.",
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Where to write the payload.' })
      .option('password', {
        type: 'string',
        describe:
          'PFX password (default: a random one, never derived from --seed; the payload carries it where its format does).',
      })
      .option('seed', { type: 'string', default: '0', describe: 'Seed of the payload ids.' }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { profileCompile } = await import('../../simulator/tools/profile-commands.ts');
    const r = await profileCompile({
      profile: String(a.profile),
      device: String(a.device),
      ...(a.ca !== undefined && { ca: String(a.ca) }),
      out: String(a.out),
      ...(a.password !== undefined && { password: String(a.password) }),
      seed: String(a.seed),
      ...(a.challenge !== undefined && { challenge: String(a.challenge) }),
      ...(a['scep-url'] !== undefined && { scepUrl: String(a['scep-url']) }),
    });
    process.stderr.write(formatWarnings(r.warnings));
    // settings without effect, as a run warns of them: said, never failing the compile
    for (const u of r.unusedSettings) process.stderr.write(`warning ${u.code}: ${u.path}: ${u.advice}\n`);
    process.stdout.write(r.summary);
  },
};

/** `certfleet profile <import|compile>` */
export const profileCommand: CommandModule = {
  command: 'profile',
  describe: 'Certificate profiles: import Graph JSON, compile a profile for a device.',
  builder: (y: Argv) =>
    y
      .command(importCommand)
      .command(compileCommand)
      .strictCommands()
      .demandCommand(1, 'Name a profile command: import or compile.'),
  handler: () => {
    process.exitCode = EXIT.usage;
  },
};
