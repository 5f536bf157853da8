/** `certfleet inspect FILE`: what a fresh device of a platform would do with a native payload. */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { CertfleetError } from '../../pki/errors.ts';
import { PLATFORMS, type Platform } from '../../profiles/model/platform.ts';
import type { NativeStatus } from '../../protocol/wire/outcome.ts';
import { EXIT, printJson } from '../output.ts';

/** A native status in one line, as the platform states it. */
function nativeText(n: NativeStatus): string {
  switch (n.platform) {
    case 'windows':
      return `SyncML ${n.syncml}${n.cspStatus === undefined ? '' : `, Status ${n.cspStatus}`}${n.intune === undefined ? '' : `, Intune ${n.intune}`}`;
    case 'macos':
    case 'ios':
      return [n.status, ...n.errorChain.map((e) => `${e.ErrorDomain} ${e.ErrorCode}`)].join(' → ');
    case 'android':
      if (n.deviceAdmin !== undefined)
        return `SyncML ${n.deviceAdmin.syncml}, Intune ${n.deviceAdmin.console}`;
      return n.nonCompliance === undefined
        ? 'compliant'
        : `${n.nonCompliance.settingName}: ${n.nonCompliance.nonComplianceReason}${n.nonCompliance.specificNonComplianceReason === undefined ? '' : ` (${n.nonCompliance.specificNonComplianceReason})`}`;
  }
}

/** `certfleet inspect FILE [--platform P] [--kind K] [--tpm B] [--windows-hello B] [--os-version V] [--json]` */
export const inspectCommand: CommandModule = {
  command: 'inspect <file>',
  describe:
    'Decode a native payload (.mobileconfig, SyncML, Android policy) and say what a fresh device would install. ' +
    'Exit 0 when everything would install (also when an identity would install but not be trusted, its chain ' +
    'leading to no installed root: the device installs it, so the item has trusted=false and a warning), 1 when ' +
    'the device would refuse any of it, 2 on usage errors, 3 when the file cannot be read. A SyncML fragment ' +
    '(commands without a <SyncML> root) and UTF-16 SyncML are read as the message a device receives; a message ' +
    'of Gets is answered as the device answers it.',
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
      .option('tpm', {
        type: 'boolean',
        describe: 'Windows: the device has a usable TPM (default: drawn from a fixed seed).',
      })
      .option('windows-hello', {
        type: 'boolean',
        describe:
          'Windows: Windows Hello for Business is provisioned (default true); false makes KeyLocation 4 fail.',
      })
      .option('os-version', {
        type: 'string',
        describe: 'OS version of the fresh device (10.0.19045.4651, 17.5.1, 14; default: drawn).',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print exactly one JSON object.' }),
  handler: async (a) => {
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
    // loaded when the command runs, not when the CLI starts (every platform's agent)
    const [{ inspectPayload }, { PLATFORM_ADAPTERS }] = await Promise.all([
      import('../../agent/inspect.ts'),
      import('../../agent/platforms/index.ts'),
    ]);
    const r = inspectPayload(bytes, PLATFORM_ADAPTERS, {
      platform: a.platform as Platform | undefined,
      ...(a.kind !== undefined && { kind: String(a.kind) }),
      ...(a.tpm !== undefined && { tpm: Boolean(a.tpm) }),
      ...(a['windows-hello'] !== undefined && { windowsHello: Boolean(a['windows-hello']) }),
      ...(a['os-version'] !== undefined && { osVersion: String(a['os-version']) }),
    });
    if (a.json) {
      printJson(r);
    } else {
      const d = r.device;
      const traits =
        r.platform === 'windows'
          ? `${d.kind}, ${d.osVersion}, TPM ${d.tpm ? 'yes' : 'no'}, Windows Hello ${d.windowsHello ? 'yes' : 'no'}`
          : `${d.kind}, ${d.osVersion}`;
      const installs = r.outcomes.length > 0 || r.answers.every((x) => x.cmd !== 'Get');
      const verdict = r.ok ? (installs ? 'would install' : 'would answer') : 'would be REFUSED';
      const lines = [
        `${r.format} on a fresh ${r.platform} device (${traits}): ${verdict}`,
        ...r.notes.map((n) => `  · ${n}`),
        ...r.items.map(
          (i) => `  + ${i.kind.padEnd(12)} ${i.subject}  (until ${i.notAfter}, ${i.thumbprint}) → ${i.store}`,
        ),
        ...r.items.flatMap((i) => (i.warning === undefined ? [] : [`  ~ not trusted: ${i.warning}`])),
        ...r.errors.map((e) => `  ! ${e.code} at ${e.path}: ${e.message}`),
        ...r.outcomes.map((o) => `  = ${o.code} ${o.payload}: ${nativeText(o.native)}`),
        ...r.answers.flatMap((x) => [
          `  > ${x.cmd} ${x.cmdRef}: ${x.status}`,
          ...(x.results ?? []).map((v) => `      ${v.locUri} = ${v.data}`),
        ]),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    process.exitCode = r.ok ? EXIT.ok : EXIT.failed;
  },
};
