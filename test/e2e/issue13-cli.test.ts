/**
 * Issue 13 through the real CLI (bin/certfleet.mjs): junit.xml agrees with the exit code (npm start's
 * scenario at a reduced fleet, the same with one broken expectation, a scenario that cannot be loaded),
 * the exit codes 0/1/2/3 for `run`, `serve` and the commands that read input, failures grouped by cause
 * with messages for people, warnings for what a run reads past, strict numeric flags, and
 * `broker --mosquitto --port/--host`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMosquitto } from '../../simulator/broker/mosquitto.ts';
import { freePort } from '../../simulator/broker/free-port.ts';
import type { ReportJson } from '../../simulator/report/report-json.ts';
import { countMismatches, readJunit, xmllintJunit, type JunitDoc } from '../fixtures/junit-check.ts';
import { sourceTags, tagCitations } from '../fixtures/source-tags.ts';
import { KEY_POOL_PASSPHRASE_ENV } from '../../simulator/tools/key-pool/key-pool.ts';
import { makeRunKeyPool } from './fixtures/run-key-pool.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/certfleet.mjs');
/** Only a guard against a hung process; never what a test asserts on. */
const HANG_GUARD_MS = 150_000;
/** The smallest fleet of scenarios/default.yaml in which every one of its expectations selects devices. */
const DEFAULT_DEVICES = '96';
const SECRET = 'issue-13-fleet-secret-0123456789';

interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking the event loop; `env` replaces every inherited CERTFLEET_* variable. */
function certfleet(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const full: Record<string, string> = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('CERTFLEET_')) full[k] = v;
  Object.assign(full, env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: full });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      resolvePromise({ status, signal, stdout, stderr });
    });
  });
}

/** junit.xml of a run folder: valid against the schema, its counts true, parsed. */
function junitOf(dir: string): JunitDoc {
  const path = join(dir, 'junit.xml');
  expect(existsSync(path), `${path} exists`).toBe(true);
  expect(xmllintJunit(path)).toBe('');
  const doc = readJunit(readFileSync(path, 'utf8'));
  expect(countMismatches(doc)).toEqual([]);
  return doc;
}

function reportOf(dir: string): ReportJson {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReportJson;
}

let work: string;
/** `--key-pool DIR` and its passphrase: the file's fleet runs draw their keys from one pool made here. */
let poolArgs: string[];
let poolEnv: Record<string, string>;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-issue13-'));
  // sized to what the default.yaml runs at DEFAULT_DEVICES draw (131 RSA-2048: 39 Windows management
  // identities + 92 connector PKCS keys; 57 EC P-256), so neither of the two runs makes fresh keys; the 12
  // fixture keys are the first RSA ones (no CA of this file uses a fixture key)
  const pool = await makeRunKeyPool(join(work, 'key-pool'), { rsa: 131, ec: 57, fixtureRsa: 12 });
  poolArgs = ['--key-pool', pool.dir];
  poolEnv = { [KEY_POOL_PASSPHRASE_ENV]: pool.passphrase };
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BROKEN_SAMSUNG = 'Samsung device administrators install the CA root (Knox)';

describe('regression issue 13: junit.xml agrees with the exit code', { timeout: 300_000 }, () => {
  it("npm start's scenario (default.yaml): exit 0, junit.xml with 0 failures; the expected INSTALL_NOT_ALLOWED rows pass as expected failures", async () => {
    const out = join(work, 'default');
    const r = await certfleet(['run', '--devices', DEFAULT_DEVICES, '--out', out, ...poolArgs], poolEnv);
    expect(r.stderr).not.toMatch(/^error /m);
    expect(r.status).toBe(0);
    const doc = junitOf(out);
    expect(doc.attrs['failures']).toBe('0');
    const expectations = doc.suites.find((s) => s.name === 'certfleet.expectations')!;
    expect(expectations.cases).toHaveLength(7);
    expect(expectations.cases.every((c) => c.verdict === null)).toBe(true);
    const pixels = doc.suites
      .flatMap((s) => s.cases)
      .filter((c) => c.text.includes('failed INSTALL_NOT_ALLOWED'));
    expect(pixels.length).toBeGreaterThan(0);
    for (const c of pixels) {
      expect(c.verdict).toBeNull();
      expect(c.text).toMatch(/^expected failure \(expectation "Pixel device administrators on Android 11\+/);
    }
    // wall-clock, not virtual: the default scenario starts 2026-01-01 virtually
    const started = Date.parse(doc.attrs['timestamp']!);
    expect(Math.abs(Date.now() - started)).toBeLessThan(10 * 60_000);
    expect(Number(doc.attrs['time'])).toBeGreaterThan(0);
    expect(doc.suites.flatMap((s) => s.cases).filter((c) => Number(c.time) > 0).length).toBeGreaterThan(0);
    expect(doc.suites[0]?.properties['virtualStart']).toBe('2026-01-01T00:00:00.000Z');
  });

  it('a broken expectation: exit 1, and exactly that expectation (and the rows that break it) fail', async () => {
    const text = readFileSync(join(ROOT, 'scenarios/default.yaml'), 'utf8');
    const i = text.indexOf(`text: ${BROKEN_SAMSUNG}`);
    const j = text.indexOf('status: installed', i);
    expect(i).toBeGreaterThan(0);
    const broken = `${text.slice(0, j)}status: failed${text.slice(j + 'status: installed'.length)}`;
    const file = join(work, 'default-broken.yaml');
    writeFileSync(file, broken);
    const out = join(work, 'default-broken');
    const r = await certfleet(
      ['run', file, '--devices', DEFAULT_DEVICES, '--out', out, ...poolArgs],
      poolEnv,
    );
    expect(r.status).toBe(1);
    const doc = junitOf(out);
    const expectations = doc.suites.find((s) => s.name === 'certfleet.expectations')!;
    expect(expectations.cases.filter((c) => c.verdict === 'failure').map((c) => c.name)).toEqual([
      BROKEN_SAMSUNG,
    ]);
    const failedRows = doc.suites
      .filter((s) => s !== expectations)
      .flatMap((s) => s.cases.filter((c) => c.verdict === 'failure'));
    expect(failedRows.length).toBeGreaterThan(0);
    for (const c of failedRows) {
      expect(c.classname).toBe('android.device-admin');
      expect(c.name).toMatch(/^Certfleet Root on /);
      expect(c.text).toContain(`expectation "${BROKEN_SAMSUNG}"`);
    }
    expect(Number(doc.attrs['failures'])).toBe(1 + failedRows.length);
  });

  it.each([
    [
      'an unknown key',
      'name: x\nfleet: { devies: 3 }\n',
      'SCENARIO_INVALID',
      /x\.yaml:2:10: fleet\.devies: unknown key/,
    ],
    ['bad YAML', 'name: x\nfleet: [\n', 'SCENARIO_PARSE', /is not valid YAML/],
    [
      'a CA folder that does not exist',
      'name: x\nca: { dir: ./no-such-ca }\nfleet: { devices: 1, mix: [{ platform: ios }] }\n',
      'SCENARIO_INVALID',
      /ca\.dir/,
    ],
  ])(
    'a scenario with %s: exit 3, and junit.xml in --out has one failing case saying why',
    async (_what, yaml, code, why) => {
      const file = join(work, 'x.yaml');
      writeFileSync(file, yaml);
      const out = join(work, `invalid-${code}-${yaml.length}`);
      const r = await certfleet(['run', file, '--out', out]);
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`^error ${code}: `, 'm'));
      const doc = junitOf(out);
      expect([doc.attrs['tests'], doc.attrs['failures']]).toEqual(['1', '1']);
      expect(doc.suites[0]?.cases[0]).toMatchObject({ verdict: 'failure', type: code });
      expect(doc.suites[0]?.cases[0]?.text).toMatch(why);
    },
  );

  it('a scenario file that does not exist: exit 3 (input), junit.xml says so', async () => {
    const out = join(work, 'no-file');
    const r = await certfleet(['run', join(work, 'nope.yaml'), '--out', out]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^error IO: Cannot read the scenario .*nope\.yaml: no such file \(ENOENT\)\./m);
    expect(junitOf(out).suites[0]?.cases[0]).toMatchObject({ verdict: 'failure', type: 'IO' });
  });
});

// The two describes below run their tests concurrently: each CLI is refused before it writes anything another
// reads, and one's start-up (~1 s of CPU) overlaps another's on the other core.
describe(
  'regression issue 13: exit codes for the commands that read input',
  { timeout: 120_000, concurrent: true },
  () => {
    it('serve: an invalid scenario exits 3 (not 1) and writes junit.xml into --out', async () => {
      const file = join(work, 'serve-bad.yaml');
      writeFileSync(file, 'name: s\nfleet: { devices: 0 }\n');
      const out = join(work, 'serve-bad');
      const r = await certfleet(
        ['serve', '--scenario', file, '--broker', 'mqtt://127.0.0.1:1', '--out', out],
        {
          CERTFLEET_FLEET_SECRET: SECRET,
        },
      );
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(/^error SCENARIO_INVALID: .*fleet\.devices: must be a whole number from 1/ms);
      expect(junitOf(out).suites[0]?.cases[0]).toMatchObject({ type: 'SCENARIO_INVALID' });
    });

    it.each([
      [
        'ca templates of a folder that is no CA',
        () => ['ca', 'templates', '--dir', join(work, 'no-ca')],
        'CA_NOT_FOUND',
      ],
      [
        'profile import of a file that does not exist',
        () => ['profile', 'import', join(work, 'nope.json')],
        'IO',
      ],
      ['inspect of a file that does not exist', () => ['inspect', join(work, 'nope.mobileconfig')], 'IO'],
    ])('%s → exit 3', async (_what, args, code) => {
      const r = await certfleet(args());
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`^error ${code}: `, 'm'));
    });
  },
);

describe(
  'regression issue 13: numeric flags are checked like the scenario keys (usage error, exit 2)',
  { concurrent: true },
  () => {
    const scenario = join(ROOT, 'scenarios/missing-imei.yaml');
    it.each(['-5', 'abc', '0', '2.5', '1e3', ''])('run --devices %j', async (v) => {
      const out = join(work, `devices-${v || 'empty'}`);
      const r = await certfleet(['run', scenario, `--devices=${v}`, '--out', out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        `error USAGE: --devices must be a whole number from 1 to 1000000 (the fleet size, as fleet.devices in a scenario), not '${v}'.`,
      );
      expect(existsSync(out)).toBe(false); // nothing ran: no run folder
    });

    it('CERTFLEET_DEVICES=2.5 is refused the same way, naming the variable', async () => {
      const r = await certfleet(['run', scenario, '--out', join(work, 'env-devices')], {
        CERTFLEET_DEVICES: '2.5',
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--devices \(from CERTFLEET_DEVICES\) must be a whole number .* not '2\.5'/);
    });

    it.each([
      [
        'serve --time-scale 0',
        ['serve', '--scenario', scenario, '--broker', 'mqtt://127.0.0.1:1', '--time-scale', '0'],
        /--time-scale must be a number greater than 0/,
      ],
      [
        'agents --devices 1.5',
        ['agents', '--scenario', scenario, '--broker', 'mqtt://127.0.0.1:1', '--devices', '1.5'],
        /--devices must be a whole number/,
      ],
      ['broker --port 70000', ['broker', '--port', '70000'], /--port must be a whole number from 0 to 65535/],
      [
        'broker --port http',
        ['broker', '--port', 'http'],
        /--port must be a whole number from 0 to 65535 .* not 'http'/,
      ],
      ['device new --index -1', ['device', 'new', '--index', '-1'], /--index must be a whole number from 0/],
    ] as const)('%s', async (_label, args, message) => {
      const r = await certfleet([...args], { CERTFLEET_FLEET_SECRET: SECRET });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  },
);

describe(
  'regression issue 13: failures by cause, messages for people, warnings for what a run reads past',
  { timeout: 180_000 },
  () => {
    let out: string;
    let r: CliResult;
    let report: ReportJson;

    beforeAll(async () => {
      writeFileSync(
        join(work, 'wifi-graph.json'),
        JSON.stringify({
          '@odata.type': '#microsoft.graph.windows10PkcsCertificateProfile',
          displayName: 'Graph Wi-Fi',
          renewalThresholdPercentag: 25,
          certificationAuthority: 'ca01.certfleet.test',
          certificationAuthorityName: 'Certfleet Issuing CA',
          certificateTemplateName: 'CertfleetUser',
          certificateStore: 'user',
          subjectNameFormat: 'commonName',
          subjectNameFormatString: 'CN={{UserName}},O=Contoso',
          certificateValidityPeriodValue: 1,
          certificateValidityPeriodScale: 'years',
          subjectAlternativeNameType: 'userPrincipalName',
          keyStorageProvider: 'useSoftwareKsp',
        }),
      );
      writeFileSync(
        join(work, 'causes.yaml'),
        [
          'name: causes',
          'seed: causes-1',
          'duration: 1d',
          'fleet:',
          '  devices: 12',
          '  missing: { emailAddress: 0.5 }',
          '  mix:',
          '    - { platform: macos, kind: device, weight: 1 }',
          '    - { platform: ios, kind: device, models: [apple-ipad-10-wifi], weight: 1 }',
          '    - { platform: windows, kind: entra-joined, weight: 1 }',
          'profiles:',
          '  - name: Mail certificate',
          '    type: pkcs',
          '    platforms: [macos, ios]',
          '    template: CertfleetUser',
          "    subject: 'CN={{UserName}},E={{EmailAddress}}'",
          '  - name: IMEI certificate',
          '    type: pkcs',
          '    platforms: [macos, ios]',
          '    template: CertfleetDevice',
          '    certificateType: device',
          "    subject: 'CN={{IMEI}}'",
          '  - { name: Graph Wi-Fi, graph: wifi-graph.json }',
          'expect:',
          '  - text: no Mac or Wi-Fi iPad has an IMEI',
          '    profile: IMEI certificate',
          '    code: VARIABLE_MISSING',
        ].join('\n') + '\n',
      );
      out = join(work, 'causes');
      r = await certfleet(['run', join(work, 'causes.yaml'), '--out', out, ...poolArgs], poolEnv);
      report = reportOf(out);
    });

    it('exits 0; the e-mail failures no expectation judges are skipped in junit.xml, the IMEI ones pass as expected', () => {
      expect(r.status).toBe(0);
      const cases = junitOf(out).suites.flatMap((s) => s.cases);
      const mail = cases.filter(
        (c) => c.name.startsWith('Mail certificate on') && c.text.includes('VARIABLE_MISSING'),
      );
      expect(mail.length).toBeGreaterThan(0);
      expect(mail.every((c) => c.verdict === 'skipped')).toBe(true);
      const imei = cases.filter((c) => c.name.startsWith('IMEI certificate on'));
      expect(imei.every((c) => c.verdict === null && c.text.startsWith('expected failure'))).toBe(true);
    });

    it('groups VARIABLE_MISSING by cause: the scenario’s fleet.missing, the platform (macOS), the hardware (Wi-Fi iPad)', () => {
      const groups = report.summary.failureReasons.map((g) => [g.profile, g.cause.attribute, g.cause.source]);
      expect(groups).toEqual(
        expect.arrayContaining([
          ['Mail certificate', 'emailAddress', 'scenario'],
          ['IMEI certificate', 'imei', 'platform'],
          ['IMEI certificate', 'imei', 'hardware'],
        ]),
      );
      for (const g of report.summary.failureReasons) {
        expect(g.share).toBeCloseTo(g.count / g.of, 10);
        expect(report.outcomes.some((o) => o.device === g.example.device && o.code === g.code)).toBe(true);
      }
      expect(r.stdout).toContain(
        '{{EmailAddress}} (emailAddress): removed by the scenario (fleet.missing.emailAddress: 50 % of devices) [scenario]',
      );
    });

    it('the message for a Mac without its e-mail says why, without the Wi-Fi-only tablet text', () => {
      const mail = report.outcomes.filter(
        (o) => o.profile === 'Mail certificate' && o.code === 'VARIABLE_MISSING',
      );
      expect(mail.length).toBeGreaterThan(0);
      for (const o of mail) {
        expect(o.message).toContain("the e-mail address of the device's user is empty in Microsoft Entra ID");
        expect(o.message).not.toMatch(/Wi-Fi-only|IMEI|cellular/);
      }
    });

    it('no source tag (PFXDOC, SCEPDOC…) in the console output or report.json', () => {
      const tags = sourceTags();
      expect(tagCitations(r.stdout + r.stderr, tags)).toEqual([]);
      expect(tagCitations(readFileSync(join(out, 'report.json'), 'utf8'), tags)).toEqual([]);
    });

    it('the misspelled Graph property and the dropped O=… are warnings in the console and report.json', () => {
      expect(r.stdout).toContain('Warnings: 2 about the scenario');
      expect(r.stdout).toMatch(
        /causes\.yaml:23:\d+: profiles\[2\]\.graph: wifi-graph\.json: renewalThresholdPercentag is not a property of #microsoft\.graph\.windows10PkcsCertificateProfile: did you mean renewalThresholdPercentage\?/,
      );
      expect(report.warnings.map((w) => w.message)).toEqual([
        expect.stringContaining('renewalThresholdPercentag is not a property'),
        expect.stringContaining(
          'subjectNameFormatString is ignored: subjectNameFormat is commonName, not custom',
        ),
      ]);
    });
  },
);

describe.skipIf(findMosquitto() === undefined)(
  'regression issue 13: broker --mosquitto honours --port and --host',
  () => {
    it('listens on the port and interface given', { timeout: 60_000 }, async () => {
      const port = await freePort();
      const env: Record<string, string> = { NO_COLOR: '1', CERTFLEET_FLEET_SECRET: SECRET };
      for (const [k, v] of Object.entries(process.env))
        if (v !== undefined && !k.startsWith('CERTFLEET_')) env[k] ??= v;
      const child = spawn(
        process.execPath,
        [
          BIN,
          'broker',
          '--mosquitto',
          '--scenario',
          join(ROOT, 'scenarios/missing-imei.yaml'),
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
        ],
        { cwd: work, env },
      );
      try {
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        const deadline = Date.now() + 30_000;
        while (!stdout.includes('listening on') && Date.now() < deadline && child.exitCode === null)
          await new Promise((r) => setTimeout(r, 50));
        expect(stdout).toContain(`certfleet broker (mosquitto) listening on mqtt://127.0.0.1:${port}`);
        const accepts = await new Promise<boolean>((r) => {
          const s = connect(port, '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            r(true);
          });
          s.once('error', () => r(false));
        });
        expect(accepts).toBe(true);
      } finally {
        child.kill('SIGINT');
        await new Promise((r) => child.once('close', r));
      }
    });
  },
);
