/** `certfleet inspect FILE`: what a fresh device of a platform would do with a native payload. */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { inspectPayload } from '../../agent/inspect.ts';
import { PLATFORM_ADAPTERS } from '../../agent/platforms/index.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { PLATFORMS, type Platform } from '../../profiles/model/platform.ts';
import { EXIT, printJson } from '../output.ts';

/** `certfleet inspect FILE [--platform P] [--kind K] [--json]` */
export const inspectCommand: CommandModule = {
  command: 'inspect <file>',
  describe:
    'Decode a native payload (.mobileconfig, SyncML, Android policy) and say what a fresh device would install. ' +
    'Exit 0 when everything would install (also when an identity would install but not be trusted, its chain ' +
    'leading to no installed root: the device installs it, so the item has trusted=false and a warning), 1 when ' +
    'the device would refuse any of it, 2 on usage errors, 3 when the file cannot be read.',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'The payload file.' })
      .option('platform', {
        type: 'string',
        choices: [...PLATFORMS],
        describe: 'Device platform (default: the one the format goes to; mobileconfig → macos).',
      })
      .option('kind', {
        type: 'string',
        describe:
          "Enrollment kind of the fresh device, one of the platform's kinds (default: drawn from a fixed seed). " +
          'Android results depend on it (e.g. SILENT key access only in device-owner modes).',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print exactly one JSON object.' }),
  handler: (a) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(String(a.file));
    } catch (cause) {
      // an input the command reads: exit 3 (output.ts isInputError)
      throw new CertfleetError('IO', `Cannot read ${String(a.file)}: ${(cause as Error).message}`, {
        cause,
        details: { file: String(a.file), input: true },
      });
    }
    const r = inspectPayload(bytes, PLATFORM_ADAPTERS, {
      platform: a.platform as Platform | undefined,
      ...(a.kind !== undefined && { kind: String(a.kind) }),
    });
    if (a.json) {
      printJson(r);
    } else {
      const lines = [
        `${r.format} on a fresh ${r.platform} device: ${r.ok ? 'would install' : 'would be REFUSED'}`,
        ...r.items.map(
          (i) => `  + ${i.kind.padEnd(12)} ${i.subject}  (until ${i.notAfter}, ${i.thumbprint}) → ${i.store}`,
        ),
        ...r.items.flatMap((i) => (i.warning === undefined ? [] : [`  ~ not trusted: ${i.warning}`])),
        ...r.errors.map((e) => `  ! ${e.code} at ${e.path}: ${e.message}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    process.exitCode = r.ok ? EXIT.ok : EXIT.failed;
  },
};
