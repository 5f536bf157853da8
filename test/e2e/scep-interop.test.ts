/**
 * Interoperability with micromdm/scep 2.1 (Debian's `scep` package, which .ci/run installs): its
 * `scepclient` enrols against certfleet's SCEP server and OpenSSL verifies the certificate against our CA;
 * certfleet's client (`certfleet scep enroll`) enrols against its `scepserver`; a wrong challenge fails on
 * both, and leaves no certificate behind. A clone without the package skips with one line saying so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnterpriseCa } from '../../simulator/service/ca/enterprise-ca.ts';
import { scepFailureLine, scepServe } from '../../simulator/service/scep/commands.ts';
import type { RunningScepServer } from '../../simulator/service/scep/http-server.ts';
import { loadOrIssueRa } from '../../simulator/service/scep/ra-identity.ts';
import { poolKey } from '../fixtures/key-pool.ts';
import { openssl } from '../unit/pki/openssl.ts';

const BIN = resolve(import.meta.dirname, '../../bin/certfleet.mjs');
const HAVE = ['scepclient', 'scepserver'].every(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
);
if (!HAVE) console.log('scep interop: skipped (scepclient/scepserver not installed; apt-get install scep)');

let work: string;
let ours: RunningScepServer | undefined;
let theirs: ChildProcess | undefined;
let theirsUrl: string;

/** Runs a command without blocking this process's event loop (our server answers from it). */
async function run(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', rej);
    child.once('close', (code) => res({ status: code ?? -1, stdout, stderr }));
  });
}

const certfleet = (args: string[]): ReturnType<typeof run> => run(process.execPath, [BIN, ...args]);

async function scepclient(args: string[], cwd: string): Promise<{ status: number; output: string }> {
  const r = await run('scepclient', args, cwd);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** What our server's operator is told of each refused request (`certfleet scep serve` prints it). */
const refused: string[] = [];

beforeAll(async () => {
  if (!HAVE) return;
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-interop-'));
  const dir = join(work, 'ca');
  const now = new Date();
  const ca = await EnterpriseCa.init(dir, {
    now,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  await loadOrIssueRa(ca, { now, key: poolKey('rsa2048', 2) });
  ours = (
    await scepServe({
      dir,
      port: 0,
      challenge: 'ours-s3cret',
      onFailure: (f) => refused.push(scepFailureLine(f)),
    })
  ).server;

  const depot = join(work, 'depot');
  const init = spawnSync('scepserver', ['ca', '-init', '-depot', depot, '-keySize', '2048'], {
    encoding: 'utf8',
  });
  expect(init.status, `${init.stdout}${init.stderr}`).toBe(0);
  const port = await freePort();
  theirs = spawn('scepserver', ['-depot', depot, '-port', String(port), '-challenge', 'theirs-s3cret'], {
    stdio: 'ignore',
  });
  theirsUrl = `http://127.0.0.1:${port}/scep`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${theirsUrl}?operation=GetCACaps`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100)); // waiting for a real process to listen, not a simulated run
  }
}, 120_000);

afterAll(async () => {
  await ours?.close();
  theirs?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!HAVE)('SCEP interoperability with micromdm/scep 2.1', () => {
  it('micromdm scepclient enrols against our server (/scep and the NDES path); OpenSSL verifies it against our CA', async () => {
    for (const [i, url] of [ours!.url, ours!.ndesUrl].entries()) {
      const cwd = mkdtempSync(join(work, 'client-'));
      const r = await scepclient(
        [
          '-server-url',
          url,
          '-challenge',
          'ours-s3cret',
          '-private-key',
          'key.pem',
          '-certificate',
          'cert.pem',
          '-cn',
          `mdm-dev-${i}`,
          '-keySize',
          '2048',
        ],
        cwd,
      );
      expect(r.status, r.output).toBe(0);
      expect(r.output).toContain('pkiStatus=SUCCESS');
      const v = openssl([
        'verify',
        '-CAfile',
        join(work, 'ca', 'root.pem'),
        '-untrusted',
        join(work, 'ca', 'issuing.pem'),
        join(cwd, 'cert.pem'),
      ]);
      expect(v.stdout.trim()).toBe(`${join(cwd, 'cert.pem')}: OK`);
      expect(openssl(['x509', '-in', join(cwd, 'cert.pem'), '-noout', '-subject']).stdout).toContain(
        `CN = mdm-dev-${i}`,
      );
    }
  });

  it('micromdm scepclient with a wrong challenge: FAILURE badRequest, no certificate', async () => {
    const cwd = mkdtempSync(join(work, 'client-'));
    const r = await scepclient(
      [
        '-server-url',
        ours!.url,
        '-challenge',
        'wrong',
        '-private-key',
        'key.pem',
        '-certificate',
        'cert.pem',
        '-cn',
        'intruder',
      ],
      cwd,
    );
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('failInfo: badRequest');
    expect(existsSync(join(cwd, 'cert.pem'))).toBe(false);
    // the server says why (the client only sees badRequest), never quoting the challenge given
    const line = refused.at(-1);
    expect(line).toMatch(
      /^refused transaction \S+: SCEP_CHALLENGE_INVALID \(failInfo badRequest\): The request’s challenge was not issued/,
    );
    expect(line).not.toContain('wrong');
    expect(line).not.toContain('ours-s3cret');
  });

  it('certfleet scep enroll against micromdm scepserver: key.pem 0600 + cert.pem that verifies against its CA', async () => {
    const out = join(work, 'enrolled');
    const r = await certfleet([
      'scep',
      'enroll',
      '--url',
      theirsUrl,
      '--challenge',
      'theirs-s3cret',
      '--subject',
      'CN=dev-42,O=Contoso',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('theirs-s3cret');
    expect(statSync(join(out, 'key.pem')).mode & 0o777).toBe(0o600);
    const v = openssl(['verify', '-CAfile', join(work, 'depot', 'ca.pem'), join(out, 'cert.pem')]);
    expect(v.stdout.trim()).toBe(`${join(out, 'cert.pem')}: OK`);
    // the certificate is for the key we kept
    const certKey = openssl(['x509', '-in', join(out, 'cert.pem'), '-noout', '-pubkey']).stdout;
    const ourKey = openssl(['pkey', '-in', join(out, 'key.pem'), '-pubout']).stdout;
    expect(certKey).toBe(ourKey);
    expect(readFileSync(join(out, 'key.pem'), 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('certfleet scep enroll with a wrong challenge or bad input: a coded error and nothing written', async () => {
    const cases: [string[], string][] = [
      [['--url', theirsUrl, '--challenge', 'wrong', '--subject', 'CN=dev-43'], 'SCEP_REQUEST_FAILED'],
      [['--url', theirsUrl, '--challenge', 'theirs-s3cret', '--subject', 'CN=a,,=b'], 'DN_SYNTAX'],
      [['--url', 'not a url', '--challenge', 'x', '--subject', 'CN=dev-44'], 'USAGE'],
      [['--url', `http://127.0.0.1:${ours!.port}/nowhere`, '--subject', 'CN=dev-45'], 'SCEP_HTTP'],
    ];
    for (const [i, [args, code]] of cases.entries()) {
      const out = join(work, `refused-${i}`);
      const r = await certfleet(['scep', 'enroll', ...args, '--out', out]);
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain(code);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('certfleet scep serve refuses a CA folder that does not exist, with CA_NOT_FOUND', async () => {
    const r = await certfleet(['scep', 'serve', '--ca', join(work, 'no-such-ca'), '--port', '0']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('CA_NOT_FOUND');
  });
});
