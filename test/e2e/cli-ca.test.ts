import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl } from '../unit/pki/openssl.ts';
import { certfleet as certfleetAsync } from './fixtures/certfleet-cli.ts';

const BIN = resolve(import.meta.dirname, '../../bin/certfleet.mjs');

function certfleet(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs?: number,
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    ...(timeoutMs !== undefined && { timeout: timeoutMs, killSignal: 'SIGKILL' as const }),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-cli-'));
  dir = join(work, 'ca');
  const r = certfleet(['ca', 'init', '--dir', dir]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('certfleet ca (CLI)', () => {
  it('init wrote root.cer (DER), root.pem and issuing.pem, and refuses a second init without --force', () => {
    expect(readFileSync(join(dir, 'root.cer'))[0]).toBe(0x30);
    expect(readFileSync(join(dir, 'root.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(openssl(['verify', '-CAfile', join(dir, 'root.pem'), join(dir, 'issuing.pem')]).stdout).toContain(
      'OK',
    );
    const again = certfleet(['ca', 'init', '--dir', dir]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^error CA_EXISTS: .*--force/);
  });

  it('templates lists both templates, as a table and as JSON', () => {
    const table = certfleet(['ca', 'templates', '--dir', dir]);
    expect(table.stdout).toMatch(/CertfleetUser .*efs\+emailProtection\+clientAuth/);
    expect(table.stdout).toMatch(/CertfleetDevice .*clientAuth/);
    const json = JSON.parse(certfleet(['ca', 'templates', '--dir', dir, '--json']).stdout) as {
      name: string;
    }[];
    expect(json.map((t) => t.name)).toEqual(['CertfleetUser', 'CertfleetDevice']);
  });

  it('issue writes a PKCS#12 that OpenSSL opens; the CA directory can also come from CERTFLEET_DIR', () => {
    const out = join(work, 'ada.pfx');
    const r = certfleet(
      [
        'ca',
        'issue',
        '--template',
        'CertfleetUser',
        '--subject',
        'CN=Ada,O=Contoso',
        '--san',
        'upn:ada@contoso.com',
        '--san',
        'email:ada@contoso.com',
        '--password',
        'S3cret!',
        '--out',
        out,
      ],
      { CERTFLEET_DIR: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('S3cret!');
    const text = execFileSync(
      'openssl',
      ['pkcs12', '-in', out, '-passin', 'pass:S3cret!', '-nokeys', '-clcerts'],
      { encoding: 'utf8' },
    );
    const leaf = join(work, 'ada.pem');
    writeFileSync(leaf, text);
    const x = openssl(['x509', '-in', leaf, '-noout', '-text']).stdout;
    expect(x).toContain('CN = Ada');
    expect(x).toMatch(/UPN:ada@contoso.com|othername: UPN::ada@contoso.com/);
  });

  it('a denial exits 1 with the CA code and reason, and writes no file', () => {
    const out = join(work, 'small.pfx');
    const r = certfleet([
      'ca',
      'issue',
      '--dir',
      dir,
      '--template',
      'CertfleetUser',
      '--subject',
      'CN=x',
      '--key-size',
      '1024',
      '--password',
      'p',
      '--out',
      out,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error CA_KEY_LENGTH: .*0x80094811/);
    expect(() => readFileSync(out)).toThrow();
    const nt = certfleet([
      'ca',
      'issue',
      '--dir',
      dir,
      '--template',
      'Nope',
      '--subject',
      'CN=x',
      '--password',
      'p',
      '--out',
      out,
    ]);
    expect(nt.stderr).toMatch(/^error CA_TEMPLATE_NOT_SUPPORTED: .*0x80094800/);
  });

  it('revoke + crl: the CRL verifies against the issuing CA and lists the serial', () => {
    const out = join(work, 'rev.pfx');
    const issued = certfleet([
      'ca',
      'issue',
      '--dir',
      dir,
      '--template',
      'CertfleetDevice',
      '--subject',
      'CN=PC-1',
      '--password',
      'p',
      '--out',
      out,
    ]);
    const serial = /serial\s+([0-9A-F]+)/.exec(issued.stdout)?.[1];
    expect(serial).toBeDefined();
    expect(
      certfleet(['ca', 'revoke', '--dir', dir, '--serial', serial!, '--reason', 'superseded']).status,
    ).toBe(0);
    const crl = join(work, 'ca.crl');
    expect(certfleet(['ca', 'crl', '--dir', dir, '--out', crl]).status).toBe(0);
    const r = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      crl,
      '-CAfile',
      join(dir, 'issuing.pem'),
      '-noout',
      '-text',
    ]);
    expect(r.stderr + r.stdout).toContain('verify OK');
    expect(r.stdout).toContain(serial!);
    const again = certfleet(['ca', 'revoke', '--dir', dir, '--serial', serial!]);
    expect(again.stderr).toMatch(/^error CA_ALREADY_REVOKED/);
  });

  it('usage errors exit 2 and say what to fix', async () => {
    // four refused commands that change nothing: run side by side (one's start-up overlaps another's)
    const [r, bad, nonsense, serial] = await Promise.all([
      certfleetAsync(['ca', 'issue', '--dir', dir]),
      certfleetAsync([
        'ca',
        'issue',
        '--dir',
        dir,
        '--template',
        'T',
        '--subject',
        'CN=x',
        '--password',
        'p',
        '--out',
        'x',
        '--san',
        'ip:1.2.3.4',
      ]),
      certfleetAsync(['nonsense']),
      // regression (QA walkthrough): a serial that is not hex was CA_SERIAL_NOT_FOUND (exit 1)
      certfleetAsync(['ca', 'revoke', '--dir', dir, '--serial', 'zz']),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Missing required arguments?: .*subject/);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/error USAGE: --san 'ip:1.2.3.4'/);
    expect(nonsense.status).toBe(2);
    expect(serial.status).toBe(2);
    expect(serial.stderr).toMatch(/^error USAGE: --serial 'zz' is not a serial number: give its hex digits/);
  });
});

/** `ca issue` arguments for the shared CA, with the given extra options. */
function issueArgs(out: string, extra: string[] = []): string[] {
  return [
    'ca',
    'issue',
    '--dir',
    dir,
    '--template',
    'CertfleetUser',
    '--subject',
    'CN=Ada,O=Contoso',
    '--password',
    'p',
    '--out',
    out,
    ...extra,
  ];
}

describe('regression issue 2: the CLI requester is checked against the template permissions', () => {
  it('--requester rogue (in no group) is denied with CA_TEMPLATE_DENIED and nothing is recorded', () => {
    const before = readFileSync(join(dir, 'issued.jsonl'), 'utf8');
    const out = join(work, 'rogue.pfx');
    const r = certfleet(issueArgs(out, ['--requester', 'rogue']));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error CA_TEMPLATE_DENIED: .*'rogue'.*0x80094012/);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(join(dir, 'issued.jsonl'), 'utf8')).toBe(before);
  });

  it('--group puts a requester in a group the template lets enroll', () => {
    const out = join(work, 'member.pfx');
    const r = certfleet(issueArgs(out, ['--requester', 'connector-02', '--group', 'CertfleetConnectors']));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const last = readFileSync(join(dir, 'issued.jsonl'), 'utf8').trim().split('\n').pop()!;
    expect(JSON.parse(last)).toMatchObject({ type: 'issued', requester: 'connector-02' });
  });
});

describe('regression issue 2: an unwritable --out changes nothing', () => {
  it.each([
    ['a missing folder', '/nonexistent/dir/x.pfx', /folder does not exist \(ENOENT\)/],
    ['a path that is a folder', '.', /it is a folder \(EISDIR\)/],
  ])('ca issue --out %s: error IO before issuing, no record appended', (_what, out, reason) => {
    const before = readFileSync(join(dir, 'issued.jsonl'), 'utf8');
    const r = certfleet(issueArgs(out === '.' ? work : out));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error IO: Cannot write /);
    expect(r.stderr).toMatch(reason);
    expect(readFileSync(join(dir, 'issued.jsonl'), 'utf8')).toBe(before);
  });

  it('ca crl --out /bad/path: error IO, and the CRL number is not used up', () => {
    const crlNumber = (): number =>
      (JSON.parse(readFileSync(join(dir, 'ca.json'), 'utf8')) as { nextCrlNumber: number }).nextCrlNumber;
    const before = crlNumber();
    const r = certfleet(['ca', 'crl', '--dir', dir, '--out', '/nonexistent/dir/ca.crl']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error IO: Cannot write \/nonexistent\/dir\/ca.crl: the folder does not exist/);
    expect(crlNumber()).toBe(before);
    const ok = join(work, 'next.crl');
    expect(certfleet(['ca', 'crl', '--dir', dir, '--out', ok]).status).toBe(0);
    const text = openssl(['crl', '-inform', 'DER', '-in', ok, '-noout', '-text']).stdout;
    expect(text).toMatch(new RegExp(`CRL Number:\\s*\\n\\s*${before}\\b`));
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

/** The leaf of a PKCS#12 (openssl pkcs12 -nokeys -clcerts), written beside it as PEM. */
function extractLeaf(pfx: string, password: string): string {
  const pem = `${pfx}.leaf.pem`;
  const r = openssl([
    'pkcs12',
    '-in',
    pfx,
    '-passin',
    `pass:${password}`,
    '-nokeys',
    '-clcerts',
    '-out',
    pem,
  ]);
  expect(r.status, r.stderr).toBe(0);
  return pem;
}

/** `openssl verify` of a leaf against a CA folder's root.pem, with its issuing.pem as the intermediate. */
function opensslVerify(caDir: string, leaf: string): string {
  const r = openssl([
    'verify',
    '-CAfile',
    join(caDir, 'root.pem'),
    '-untrusted',
    join(caDir, 'issuing.pem'),
    leaf,
  ]);
  return r.output;
}

describe('regression issue 2: a standalone CA is consistent from the CLI', () => {
  let sdir: string;
  beforeAll(() => {
    sdir = join(work, 'standalone');
    const r = certfleet(['ca', 'init', '--dir', sdir, '--standalone']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('(none: standalone CA)');
  });

  it('ca templates lists none', () => {
    expect(certfleet(['ca', 'templates', '--dir', sdir]).stdout).toMatch(
      /No templates: this is a standalone CA/,
    );
    expect(JSON.parse(certfleet(['ca', 'templates', '--dir', sdir, '--json']).stdout)).toEqual([]);
  });

  it('ca issue without --template issues with the CA defaults, and the leaf verifies in OpenSSL', () => {
    const out = join(work, 'standalone.pfx');
    const r = certfleet([
      'ca',
      'issue',
      '--dir',
      sdir,
      '--subject',
      'CN=PC-7',
      '--password',
      'pw',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("with the standalone CA's defaults (no template)");
    const leaf = extractLeaf(out, 'pw');
    expect(opensslVerify(sdir, leaf)).toContain(': OK');
    expect(openssl(['x509', '-in', leaf, '-noout', '-text']).stdout).toContain(
      'TLS Web Client Authentication',
    );
  });

  it('ca issue --template on a standalone CA is refused, saying why', () => {
    const before = readFileSync(join(sdir, 'issued.jsonl'), 'utf8');
    const r = certfleet([
      'ca',
      'issue',
      '--dir',
      sdir,
      '--template',
      'CertfleetUser',
      '--subject',
      'CN=x',
      '--password',
      'p',
      '--out',
      join(work, 'refused.pfx'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^error CA_STANDALONE_NO_TEMPLATES: This is a standalone CA: it has no certificate templates.*without a template.*0x80094800/,
    );
    expect(readFileSync(join(sdir, 'issued.jsonl'), 'utf8')).toBe(before);
  });

  it('ca issue without --template on an enterprise CA is CA_NO_TEMPLATE (0x80094801)', () => {
    const r = certfleet([
      'ca',
      'issue',
      '--dir',
      dir,
      '--subject',
      'CN=x',
      '--password',
      'p',
      '--out',
      join(work, 'nt.pfx'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error CA_NO_TEMPLATE: .*0x80094801/);
  });
});

describe('regression issue 2: CLI options the e2e tests never used', () => {
  it.each([
    {
      name: '--legacy, --san dns: + uri:, --key-size 3072',
      template: 'CertfleetDevice',
      extra: ['--legacy', '--san', 'dns:pc-1.contoso.com', '--san', 'uri:https://contoso.com/devices/1'],
      keySize: 3072,
      pbe: /pbeWithSHA1And3-KeyTripleDES-CBC/,
      sans: ['DNS:pc-1.contoso.com', 'URI:https://contoso.com/devices/1'],
    },
    {
      name: 'modern PKCS#12, --san email:, --key-size 4096',
      template: 'CertfleetUser',
      extra: ['--san', 'email:ada@contoso.com'],
      keySize: 4096,
      pbe: /AES-256-CBC/,
      sans: ['email:ada@contoso.com'],
    },
  ])('$name: the leaf verifies in OpenSSL against root.pem + issuing.pem', (row) => {
    const out = join(work, `opts-${row.keySize}.pfx`);
    const r = certfleet([
      'ca',
      'issue',
      '--dir',
      dir,
      '--template',
      row.template,
      '--subject',
      'CN=Opts,O=Contoso',
      '--key-size',
      String(row.keySize),
      '--password',
      'Pw-1',
      '--out',
      out,
      ...row.extra,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const info = openssl(['pkcs12', '-in', out, '-passin', 'pass:Pw-1', '-info', '-nokeys', '-noout']);
    expect(info.status, info.stderr).toBe(0);
    expect(info.output).toMatch(row.pbe);
    expect(openssl(['pkcs12', '-in', out, '-passin', 'pass:wrong', '-nokeys', '-noout']).status).not.toBe(0);
    const leaf = extractLeaf(out, 'Pw-1');
    expect(opensslVerify(dir, leaf)).toContain(`${leaf}: OK`);
    const text = openssl(['x509', '-in', leaf, '-noout', '-text']).stdout;
    expect(text).toContain(`Public-Key: (${row.keySize} bit)`);
    for (const san of row.sans) expect(text).toContain(san);
  });

  it('ca init --force replaces an existing CA: new root, empty issued log, old leaves no longer verify', () => {
    const fdir = join(work, 'forced');
    expect(certfleet(['ca', 'init', '--dir', fdir]).status).toBe(0);
    const oldRoot = readFileSync(join(fdir, 'root.pem'), 'utf8');
    const out = join(work, 'forced.pfx');
    expect(
      certfleet([
        'ca',
        'issue',
        '--dir',
        fdir,
        '--template',
        'CertfleetDevice',
        '--subject',
        'CN=Old',
        '--password',
        'p',
        '--out',
        out,
      ]).status,
    ).toBe(0);
    const leaf = extractLeaf(out, 'p');
    expect(opensslVerify(fdir, leaf)).toContain(': OK');
    const r = certfleet(['ca', 'init', '--dir', fdir, '--force']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(fdir, 'root.pem'), 'utf8')).not.toBe(oldRoot);
    expect(readFileSync(join(fdir, 'issued.jsonl'), 'utf8')).toBe('');
    expect(opensslVerify(fdir, leaf)).not.toContain(': OK');
  });
});

// The two describes below run their cases concurrently: each command is refused before it writes anything
// another reads, and one's start-up (~1 s of CPU) overlaps another's on the other core.
describe(
  'regression issue 2: ca init on a folder that cannot be made fails fast with IO',
  { concurrent: true },
  () => {
    it.each([
      // Under /proc, Node 20's recursive mkdir never returns; the timeout kills a regression instead of hanging.
      {
        name: 'a path under /proc',
        dir: () => '/proc/certfleet-x',
        reason: /\/proc does not allow new folders/,
      },
      {
        name: 'a path whose parent is a regular file',
        dir: () => {
          const file = join(work, 'plain-file');
          writeFileSync(file, 'x');
          return join(file, 'ca');
        },
        reason: /a part of the path is not a folder \(ENOTDIR\)/,
      },
    ])('$name → exit 1, error IO', async ({ name, dir: target, reason }) => {
      if (name.includes('/proc') && !existsSync('/proc/self')) return; // no procfs on this machine
      const r = await certfleetAsync(['ca', 'init', '--dir', target()], { guardMs: 30_000 });
      expect(r.status, 'killed by the timeout: ca init hangs').toBe(1);
      expect(r.stderr).toMatch(/^error IO: Cannot create the folder /);
      expect(r.stderr).toMatch(reason);
    });
  },
);

describe('regression issue 2: --key-size that is not a number', { concurrent: true }, () => {
  it.each(['abc', '2048.5', ''])("--key-size '%s' exits 2 with a usage error quoting it", async (v) => {
    const out = join(work, `ks-${JSON.stringify(v).replace(/\W/g, '_')}.pfx`);
    const r = await certfleetAsync(issueArgs(out, ['--key-size', v]));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`error USAGE: --key-size '${v}' is not a number of bits`);
    expect(r.stderr).not.toContain('NaN');
    expect(existsSync(out)).toBe(false);
  });
});
