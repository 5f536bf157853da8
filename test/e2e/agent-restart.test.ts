/**
 * Issue 4: a device agent process killed (SIGKILL, no clean shutdown) and started again has exactly the
 * store it had — per platform, with the payloads compiled in test/golden/compile.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../agent/device/generate.ts';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { PLATFORM_ADAPTERS } from '../../agent/platforms/index.ts';
import { FixedClock } from '../../agent/runtime/clock.ts';
import type { EnrollmentKind, Platform } from '../../profiles/model/platform.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GOLDEN = join(ROOT, 'test/golden/compile');
const work = mkdtempSync(join(tmpdir(), 'certfleet-restart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runUntilKilled(args: string[]): Promise<{ codes: string[][]; held: unknown[] }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/e2e/fixtures/agent-child.ts'), ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`agent exited ${code ?? signal}: ${err}`));
      resolvePromise(JSON.parse(out.split('\n')[0]!) as { codes: string[][]; held: unknown[] });
    });
  });
}

describe.each([
  { platform: 'windows', files: ['windows-trusted-root.xml'] },
  { platform: 'macos', files: ['macos-trusted-root.mobileconfig', 'macos-pkcs.mobileconfig'] },
  { platform: 'ios', files: ['ios-trusted-root.mobileconfig', 'ios-pkcs.mobileconfig'] },
  {
    platform: 'android',
    kind: 'fully-managed',
    files: ['android-device-owner-trusted-root.json', 'android-device-owner-pkcs.json'],
  },
] as const)('a killed $platform agent restarts with the same store', (row) => {
  const { platform, files } = row;
  const kind = 'kind' in row ? row.kind : undefined;
  it('SIGKILL after install, reopen: held() is the same', { timeout: 60_000 }, async () => {
    const store = join(work, `${platform}.db`);
    const target = kind ? `${platform}:${kind}` : platform;
    const before = await runUntilKilled([store, target, 'restart', ...files.map((f) => join(GOLDEN, f))]);
    expect(before.codes.flat().every((c) => c === 'OK')).toBe(true);
    expect(before.held.length).toBeGreaterThan(0);
    // the "restarted agent": same device, same store file
    const device = generateDevice({
      seed: 'restart',
      index: 0,
      platform: platform as Platform,
      ...(kind ? { kind: kind as EnrollmentKind } : {}),
    });
    const db = StoreDb.open(store);
    try {
      const ctx = { device, db, clock: new FixedClock('2026-06-01T00:00:00Z') };
      expect(PLATFORM_ADAPTERS[platform].held(ctx, 'admin')).toEqual(before.held);
      // and it knows what it installed: the last payload again changes nothing
      const last = files[files.length - 1]!;
      const again = PLATFORM_ADAPTERS[platform].deliver(ctx, readFileSync(join(GOLDEN, last)));
      expect(again.outcomes.map((o) => o.code)).toEqual(['UNCHANGED']);
    } finally {
      db.close();
    }
  });
});
