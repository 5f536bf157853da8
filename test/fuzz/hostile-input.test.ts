/**
 * Regression tests of issue 10 point 4 ("What it saw" item 5): each hostile input the probe found is refused
 * with its own code, and the CLI refuses a bad --devices or --out before it writes anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isStrictBase64 } from '../../pki/base64.ts';
import { CertfleetError, type ErrorCode } from '../../pki/errors.ts';
import { MAX_BASE64_CHARS, MAX_NESTING_DEPTH } from '../../pki/limits.ts';
import { firstInvalidUtf8 } from '../../pki/utf8.ts';
import { decodeAndroidPolicy } from '../../profiles/android/policy-codec.ts';
import { readPlistXml } from '../../profiles/apple/plist-xml-reader.ts';
import { importGraphProfile } from '../../profiles/graph/import-graph.ts';
import { base64Fault } from '../../profiles/windows/base64-strict.ts';
import { decodeSyncml } from '../../profiles/windows/syncml-decode.ts';
import { loadScenario } from '../../simulator/scenario/load-scenario.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DEFAULT = readFileSync(join(ROOT, 'scenarios', 'default.yaml'), 'utf8');

function codeOf(f: () => unknown): ErrorCode | 'none' {
  try {
    f();
  } catch (e) {
    if (e instanceof CertfleetError) return e.code;
    throw e;
  }
  return 'none';
}
const scenario = (text: string): ErrorCode | 'none' =>
  codeOf(() => loadScenario({ text, file: 'hostile.yaml', baseDir: join(ROOT, 'scenarios') }));

/** The 368-byte alias bomb of the probe: nine levels of nine aliases, 9^9 values once expanded. */
const ALIAS_BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
  '',
].join('\n');

describe('regression issue 10: hostile scenario files', () => {
  it('regression issue 10: YAML alias bomb is SCENARIO_INVALID', () => {
    expect(ALIAS_BOMB.length).toBeLessThan(400);
    let error: unknown;
    try {
      loadScenario({ text: ALIAS_BOMB, file: 'bomb.yaml' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CertfleetError);
    expect((error as CertfleetError).code).toBe('SCENARIO_INVALID');
    expect((error as CertfleetError).message).toMatch(/aliases/);
  });

  it('regression issue 10: a few aliases still load (the limit is on expansion, not on use)', () => {
    const text = DEFAULT.replace(/^seed:.*$/m, (l) => `${l}\nx-anchor: &n 3`);
    // an unknown top-level key is a problem, but not a limit: the file parses and is checked key by key
    expect(scenario(text)).toBe('SCENARIO_INVALID');
    expect(scenario(DEFAULT)).toBe('none');
  });

  it('regression issue 10: YAML nested deeper than the limit is SCENARIO_INVALID, also past the parser stack', () => {
    expect(scenario(`x: ${'['.repeat(MAX_NESTING_DEPTH + 5)}1${']'.repeat(MAX_NESTING_DEPTH + 5)}\n`)).toBe(
      'SCENARIO_INVALID',
    );
    expect(scenario(`x: ${'['.repeat(200_000)}1${']'.repeat(200_000)}\n`)).toBe('SCENARIO_INVALID');
  });

  it('regression issue 10: duration 1000y is SCENARIO_INVALID; 10y is the most', () => {
    expect(scenario(DEFAULT.replace(/^duration:.*$/m, 'duration: 1000y'))).toBe('SCENARIO_INVALID');
    expect(scenario(DEFAULT.replace(/^duration:.*$/m, `duration: ${'9'.repeat(400)}d`))).toBe(
      'SCENARIO_INVALID',
    );
    expect(scenario(DEFAULT.replace(/^duration:.*$/m, 'duration: 3651d'))).toBe('SCENARIO_INVALID');
  });

  it('regression issue 10: a 50 MB description (a file over 1 MiB) and a 20,000-character one are SCENARIO_INVALID', () => {
    const huge = DEFAULT.replace(/^description:.*$/m, `description: ${'x'.repeat(50 * 1024 * 1024)}`);
    expect(scenario(huge)).toBe('SCENARIO_INVALID');
    const long = DEFAULT.replace(/^description:.*$/m, `description: ${'x'.repeat(20_000)}`);
    let error: unknown;
    try {
      loadScenario({ text: long, file: 'long.yaml', baseDir: join(ROOT, 'scenarios') });
    } catch (e) {
      error = e;
    }
    expect((error as CertfleetError).code).toBe('SCENARIO_INVALID');
    expect((error as CertfleetError).message).toMatch(
      /description: is 20000 characters long; keep it to 10000/,
    );
  });
});

describe('regression issue 10: hostile payloads', () => {
  it('regression issue 10: plist bad UTF-8 is located in one pass (PLIST_PARSE with the right offset)', () => {
    for (const size of [80_000, 200_000, 3_000_000]) {
      const body = Buffer.concat([
        Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><string>'),
        Buffer.from('é'.repeat(size / 2)),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('</string></plist>'),
      ]);
      const r = readPlistXml(body);
      expect(r.value).toBeUndefined();
      expect(r.problems.map((p) => p.code)).toEqual(['PLIST_PARSE']);
      const offset = body.indexOf(Buffer.from([0xc3, 0x28]));
      expect(r.problems[0]!.message).toContain(`first bad byte at offset ${offset}`);
    }
  });

  it('regression issue 10: firstInvalidUtf8 agrees with TextDecoder on valid and invalid sequences', () => {
    const cases: number[][] = [
      [0x41, 0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0x41, 0xe2, 0x82],
      [0x80],
      [0xef, 0xbf, 0xbf],
    ];
    for (const c of cases) {
      const bytes = Uint8Array.from(c);
      let valid = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        valid = false;
      }
      expect(firstInvalidUtf8(bytes) === undefined, c.join(',')).toBe(valid);
    }
  });

  it('regression issue 10: Android policy JSON nested 2,800 deep is ANDROID_POLICY_PARSE, not INTERNAL', () => {
    const r = decodeAndroidPolicy(`${'['.repeat(2_800)}${']'.repeat(2_800)}`);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map((p) => p.code)).toEqual(['ANDROID_POLICY_PARSE']);
    expect(!r.ok && r.problems[0]!.message).toMatch(/nesting deeper than 64 levels/);
  });

  it('regression issue 10: Graph JSON nested 8,200 deep is GRAPH_PARSE, not INTERNAL', () => {
    const r = importGraphProfile(`{"a":${'['.repeat(8_200)}${']'.repeat(8_200)}}`);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('GRAPH_PARSE');
  });

  it('regression issue 10: plist and SyncML nested 20,000 deep are PLIST_PARSE and SYNCML_PARSE/INVALID', () => {
    const plist = readPlistXml(
      Buffer.from(`<plist version="1.0">${'<array>'.repeat(20_000)}${'</array>'.repeat(20_000)}</plist>`),
    );
    expect([...new Set(plist.problems.map((p) => p.code))]).toEqual(['PLIST_PARSE']);
    const syncml = decodeSyncml(`<SyncML>${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}</SyncML>`);
    expect(syncml.ok).toBe(false);
    for (const p of syncml.ok ? [] : syncml.problems)
      expect(['SYNCML_PARSE', 'SYNCML_INVALID']).toContain(p.code);
  });

  it('regression issue 10: an 8 MB base64 string is a coded size error, not a RangeError', () => {
    const b64 = 'QUFB'.repeat(2 * 1024 * 1024);
    expect(base64Fault(b64)).toBe('too-long');
    expect(isStrictBase64(b64)).toBe(true);
    expect(base64Fault('QUFB'.repeat(MAX_BASE64_CHARS / 4))).toBeUndefined();
    const plist = readPlistXml(Buffer.from(`<plist version="1.0"><data>${b64}</data></plist>`));
    expect(plist.problems.map((p) => p.code)).toEqual(['PLIST_PARSE']);
    const android = decodeAndroidPolicy(Buffer.from(`{"a":"${b64}"}`));
    expect(!android.ok && android.problems.map((p) => p.code)).toEqual(['ANDROID_POLICY_PARSE']);
  });
});

describe('regression issue 10: the CLI refuses --devices and --out before it writes anything', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-hostile-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const run = (args: string[]) =>
    spawnSync(
      process.execPath,
      [join(ROOT, 'bin/certfleet.mjs'), 'run', join(ROOT, 'scenarios/default.yaml'), ...args],
      {
        encoding: 'utf8',
        cwd: work,
      },
    );

  it('regression issue 10: --devices 1e9 is USAGE (exit 2) and no folder is made', () => {
    const out = join(work, 'devices');
    const r = run(['--devices', '1e9', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error USAGE: --devices must be a whole number from 1 to 1000000/);
    expect(existsSync(out)).toBe(false);
  });

  it('regression issue 10: --out on an existing file is IO (exit 1), no raw EEXIST, nothing created', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'keep me');
    const before = readdirSync(work).sort();
    const r = run(['--devices', '1', '--out', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^error IO: Cannot use .*a-file as the run folder \(--out\): it is a file, not a folder/,
    );
    expect(r.stderr).not.toMatch(/EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    const sub = run(['--devices', '1', '--out', join(file, 'sub')]);
    expect(sub.status).toBe(1);
    expect(sub.stderr).toMatch(/^error IO: .*a-file is a file, so no folder can be made under it/);
    expect(readdirSync(work).sort()).toEqual(before);
  });

  it.skipIf(!existsSync('/proc/self'))(
    'regression issue 10: --out /proc/x is IO (exit 1), not a hang',
    () => {
      const r = run(['--devices', '1', '--out', '/proc/certfleet-x/run']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^error IO: Cannot use \/proc\/certfleet-x\/run as the run folder \(--out\): the folder cannot be created/,
      );
      expect(existsSync('/proc/certfleet-x')).toBe(false);
    },
  );
});
