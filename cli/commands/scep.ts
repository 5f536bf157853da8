/**
 * `certfleet scep serve|enroll`: the NDES-like SCEP server alone, and a SCEP client that enrols as a device
 * would (issue 14 point 1). Handlers parse and delegate to simulator/service/scep/commands.ts and
 * simulator/tools/scep-enroll.ts (docs/architecture.md house rule 8). The challenge is never printed.
 */
import type { Argv, CommandModule } from 'yargs';
import { untilSignal } from '../../simulator/fleet/until-signal.ts';
import { EXIT } from '../output.ts';
import { numberCoerce, PORT_RULE } from '../numeric-options.ts';

const serve: CommandModule = {
  command: 'serve',
  describe:
    'Serve SCEP (RFC 8894) for the CA in --dir on http://127.0.0.1:PORT/scep and the NDES path /certsrv/mscep/mscep.dll until Ctrl-C.',
  builder: (y: Argv) =>
    y
      .option('ca', {
        type: 'string',
        demandOption: true,
        describe: 'The CA folder (made by `certfleet ca init`).',
      })
      .option('port', {
        type: 'string',
        default: '0',
        coerce: numberCoerce(PORT_RULE),
        describe: 'Port (0: a free one).',
      })
      .option('challenge', {
        type: 'string',
        describe:
          'A static challenge password every request must carry (standalone NDES). Without it, one-time challenges come from /certsrv/mscep_admin/.',
      })
      .option('template', {
        type: 'string',
        describe: 'Certificate template NDES requests (default CertfleetUser).',
      })
      .option('pending-polls', {
        type: 'string',
        coerce: numberCoerce({ flag: '--pending-polls', min: 0, max: 1000, integer: true }),
        describe: 'Hold each request PENDING for this many polls before issuing (a CA that needs approval).',
      })
      .option('challenge-minutes', {
        type: 'string',
        coerce: numberCoerce({ flag: '--challenge-minutes', min: 1, max: 525_600, integer: true }),
        describe: 'Validity of a one-time challenge, in minutes (default 60).',
      }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { scepFailureLine, scepServe } = await import('../../simulator/service/scep/commands.ts');
    const stop = untilSignal();
    const { server, summary } = await scepServe({
      dir: String(a.ca),
      port: Number(a.port),
      ...(a.challenge !== undefined && { challenge: String(a.challenge) }),
      ...(a.template !== undefined && { template: String(a.template) }),
      ...(a['pending-polls'] !== undefined && { pendingPolls: Number(a['pending-polls']) }),
      ...(a['challenge-minutes'] !== undefined && { challengeMinutes: Number(a['challenge-minutes']) }),
      // the client only gets FAILURE and a failInfo: the operator sees why
      onFailure: (f) => process.stderr.write(`certfleet scep serve: ${scepFailureLine(f)}\n`),
    }).catch((e: unknown) => {
      stop.dispose();
      throw e;
    });
    process.stdout.write(`${summary}Ctrl-C stops the server.\n`);
    const signal = await stop.promise;
    stop.dispose();
    await server.close();
    process.stdout.write(`certfleet scep serve stopped (${signal}).\n`);
  },
};

const enroll: CommandModule = {
  command: 'enroll',
  describe: 'Enrol with a SCEP server as a device would; writes key.pem (0600) and cert.pem into --out.',
  builder: (y: Argv) =>
    y
      .option('url', {
        type: 'string',
        demandOption: true,
        describe: 'The SCEP URL, e.g. http://127.0.0.1:8080/scep.',
      })
      .option('challenge', { type: 'string', describe: 'The challenge password (put in the CSR).' })
      .option('subject', {
        type: 'string',
        demandOption: true,
        describe: 'Subject DN (RFC 4514), e.g. "CN=dev-1,O=Contoso".',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Folder for key.pem and cert.pem (must not hold them yet).',
      })
      .option('key-size', {
        type: 'string',
        default: '2048',
        coerce: numberCoerce({ flag: '--key-size', min: 2048, max: 4096, integer: true }),
        describe: 'RSA key size: 2048, 3072 or 4096.',
      })
      .option('max-polls', {
        type: 'string',
        default: '10',
        coerce: numberCoerce({ flag: '--max-polls', min: 0, max: 1000, integer: true }),
        describe: 'Polls while the server answers PENDING.',
      })
      .option('poll-interval', {
        type: 'string',
        default: '5',
        coerce: numberCoerce({ flag: '--poll-interval', min: 0, max: 3600 }),
        describe: 'Seconds between polls.',
      }),
  handler: async (a) => {
    // loaded when the command runs, not when the CLI starts
    const { scepEnroll } = await import('../../simulator/tools/scep-enroll.ts');
    const r = await scepEnroll({
      url: String(a.url),
      ...(a.challenge !== undefined && { challenge: String(a.challenge) }),
      subject: String(a.subject),
      out: String(a.out),
      keySize: Number(a['key-size']),
      maxPolls: Number(a['max-polls']),
      pollSeconds: Number(a['poll-interval']),
    });
    process.stdout.write(r.summary);
  },
};

/** `certfleet scep <serve|enroll>` */
export const scepCommand: CommandModule = {
  command: 'scep',
  describe:
    'SCEP (RFC 8894): an NDES-like server for a CA folder, and a client that enrols against any SCEP server.',
  builder: (y: Argv) =>
    y
      .command(serve)
      .command(enroll)
      .strictCommands()
      .demandCommand(1, 'Name a scep command: serve or enroll.'),
  handler: () => {
    process.exitCode = EXIT.usage;
  },
};
