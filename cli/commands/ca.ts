/**
 * `certfleet ca …`: the enterprise CA of the simulated service — init, templates, issue, revoke, crl.
 * Handlers parse and delegate to simulator/service/ca (docs/architecture.md house rule 8).
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT, printJson } from '../output.ts';
import {
  caInit,
  caIssue,
  caRevoke,
  caPublishCrl,
  caTemplates,
  DEFAULT_CLI_REQUESTER,
  type SanSpec,
} from '../../simulator/service/ca/commands.ts';
import { REVOCATION_REASONS, type RevocationReason } from '../../simulator/service/ca/enterprise-ca.ts';
import { CA_PASSPHRASE_ENV } from '../../simulator/service/ca/ca-key-file.ts';
import { CONNECTOR_GROUP } from '../../simulator/service/ca/template.ts';
import { CertfleetError } from '../../pki/errors.ts';

const dirOption = {
  type: 'string',
  demandOption: true,
  describe: 'The CA folder (made by `certfleet ca init`).',
} as const;

function parseSan(values: string[]): SanSpec[] {
  return values.map((v) => {
    const m = /^(upn|email|dns|uri):(.+)$/i.exec(v);
    if (!m) {
      throw new CertfleetError(
        'USAGE',
        `--san '${v}' must be TYPE:VALUE with TYPE one of upn, email, dns, uri.`,
      );
    }
    return { type: m[1]!.toLowerCase() as SanSpec['type'], value: m[2]! };
  });
}

/** `--key-size` as a whole number of bits; anything else is a usage error that quotes what was given. */
function parseKeySize(v: string): number {
  if (!/^\d+$/.test(v.trim())) {
    throw new CertfleetError('USAGE', `--key-size '${v}' is not a number of bits: give 2048, 3072 or 4096.`);
  }
  return Number(v.trim());
}

/** The passphrase in the variable `name` (8 characters at least); USAGE naming the variable otherwise. */
function passphraseFromEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.length < 8) {
    throw new CertfleetError(
      'USAGE',
      `--passphrase-env ${name}: ${value === undefined ? 'the variable is not set' : 'the passphrase is shorter than 8 characters'}; set ${name} to the passphrase (and ${CA_PASSPHRASE_ENV} to the same value for the commands that open the CA).`,
    );
  }
  return value;
}

const init: CommandModule = {
  command: 'init',
  describe: 'Create a two-tier CA (root + issuing CA) and the default templates in --dir.',
  builder: (y: Argv) =>
    y
      .option('dir', dirOption)
      .option('force', { type: 'boolean', default: false, describe: 'Replace an existing CA in --dir.' })
      .option('name', { type: 'string', default: 'Certfleet', describe: 'Prefix for the CA common names.' })
      .option('standalone', {
        type: 'boolean',
        default: false,
        describe: 'Make a standalone (non-enterprise) CA, which refuses templates.',
      })
      .option('passphrase-env', {
        type: 'string',
        describe: `Encrypt the CA's key files with the passphrase in this environment variable (commands that open the CA then read it from ${CA_PASSPHRASE_ENV}).`,
      }),
  handler: async (a) => {
    const r = await caInit({
      dir: String(a.dir),
      force: Boolean(a.force),
      name: String(a.name),
      standalone: Boolean(a.standalone),
      ...(a['passphrase-env'] !== undefined && {
        passphrase: passphraseFromEnv(String(a['passphrase-env'])),
      }),
    });
    process.stdout.write(r.summary);
  },
};

const templates: CommandModule = {
  command: 'templates',
  describe: 'List the certificate templates the CA publishes.',
  builder: (y: Argv) =>
    y.option('dir', dirOption).option('json', { type: 'boolean', default: false, describe: 'Print JSON.' }),
  handler: (a) => {
    const r = caTemplates(String(a.dir));
    if (a.json) printJson(r.templates);
    else process.stdout.write(r.table);
  },
};

const issue: CommandModule = {
  command: 'issue',
  describe:
    'Generate a key server-side, issue a certificate (from a template on an enterprise CA), and write a PKCS#12.',
  builder: (y: Argv) =>
    y
      .option('dir', dirOption)
      .option('template', {
        type: 'string',
        describe:
          'Template name, e.g. CertfleetUser. Required by an enterprise CA; omit it for a standalone CA.',
      })
      .option('subject', {
        type: 'string',
        demandOption: true,
        describe: 'Subject DN (RFC 4514), e.g. "CN=Ada".',
      })
      .option('san', {
        type: 'string',
        array: true,
        default: [],
        describe: 'Subject alternative name: upn:V, email:V, dns:V or uri:V (repeatable).',
      })
      .option('key-size', {
        type: 'string',
        default: '2048',
        describe:
          'RSA key size in bits: 2048, 3072 or 4096 (1024 too, to see the CA deny it by its template minimum).',
      })
      .option('legacy', {
        type: 'boolean',
        default: false,
        describe: 'Legacy PKCS#12 (3DES + SHA-1 MAC) for older Apple and Android devices.',
      })
      .option('password', { type: 'string', demandOption: true, describe: 'PKCS#12 password.' })
      .option('requester', {
        type: 'string',
        default: DEFAULT_CLI_REQUESTER,
        describe: 'Identity that submits the request (checked against the template Read/Enroll permissions).',
      })
      .option('group', {
        type: 'string',
        array: true,
        describe: `Group the requester belongs to (repeatable). Default: ${CONNECTOR_GROUP} for the default requester, none for any other.`,
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Where to write the .pfx.' }),
  handler: async (a) => {
    const r = await caIssue({
      dir: String(a.dir),
      template: a.template === undefined ? undefined : String(a.template),
      subject: String(a.subject),
      san: parseSan((a.san as unknown[]).map(String)),
      keySize: parseKeySize(String(a['key-size'])),
      legacy: Boolean(a.legacy),
      password: String(a.password),
      requester: String(a.requester),
      groups: a.group === undefined ? undefined : (a.group as unknown[]).map(String),
      out: String(a.out),
    });
    process.stdout.write(r.summary);
  },
};

const revoke: CommandModule = {
  command: 'revoke',
  describe: 'Revoke an issued certificate by serial number.',
  builder: (y: Argv) =>
    y
      .option('dir', dirOption)
      .option('serial', { type: 'string', demandOption: true, describe: 'Serial number (hex).' })
      .option('reason', {
        type: 'string',
        default: 'unspecified',
        choices: [...REVOCATION_REASONS],
        describe: 'RFC 5280 revocation reason.',
      }),
  handler: (a) => {
    const r = caRevoke({
      dir: String(a.dir),
      serial: String(a.serial),
      reason: a.reason as RevocationReason,
    });
    process.stdout.write(r.summary);
  },
};

const crl: CommandModule = {
  command: 'crl',
  describe: 'Publish a signed CRL of the issuing CA.',
  builder: (y: Argv) =>
    y
      .option('dir', dirOption)
      .option('out', { type: 'string', demandOption: true, describe: 'CRL file (DER).' }),
  handler: (a) => {
    const r = caPublishCrl({ dir: String(a.dir), out: String(a.out) });
    process.stdout.write(r.summary);
  },
};

/** `certfleet ca <init|templates|issue|revoke|crl>` */
export const caCommand: CommandModule = {
  command: 'ca',
  describe: 'The enterprise CA: create it, list templates, issue, revoke, publish a CRL.',
  builder: (y: Argv) =>
    y
      .command(init)
      .command(templates)
      .command(issue)
      .command(revoke)
      .command(crl)
      .strictCommands()
      .demandCommand(1, 'Name a ca command: init, templates, issue, revoke or crl.'),
  handler: () => {
    process.exitCode = EXIT.usage;
  },
};
