/**
 * Issue 4: a device agent process killed (SIGKILL, no clean shutdown) and started again has exactly the
 * store it had — per platform, with the payloads compiled in test/golden/compile (and, on Windows, a
 * message with the test hierarchy's trusted certificates and two PFX installs with KSP attributes, since the
 * golden PFX's password is encrypted to a fixed management certificate). "The same store" is every row:
 * items with their attributes and key-material digests, and the installed profiles.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../agent/device/generate.ts';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { PLATFORM_ADAPTERS } from '../../agent/platforms/index.ts';
import { FixedClock } from '../../protocol/runtime/clock.ts';
import type { EnrollmentKind, Platform } from '../../profiles/model/platform.ts';
import { poolKey } from '../fixtures/key-pool.ts';
import { T0, YEAR } from '../unit/pki/hierarchy.ts';
import {
  leafWith,
  message,
  pfxAtomic,
  pfxInstall,
  pfxOf,
  trustedAdd,
} from '../unit/agent-windows/fixtures.ts';
import { RESTART_STORE_KEY, storeRows } from './fixtures/store-rows.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GOLDEN = join(ROOT, 'test/golden/compile');
const work = mkdtempSync(join(tmpdir(), 'certfleet-restart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ChildReport {
  codes: string[][];
  held: unknown[];
  rows: unknown;
}

/** A SyncML message (written to the work folder): RCA root + CA, a software-KSP exportable PFX, a KL2 PFX. */
function windowsPfxMessage(): string {
  const h = leafWith({ notAfter: new Date(T0.getTime() + 3 * YEAR) });
  const other = leafWith({
    key: poolKey('rsa2048', 4),
    subject: 'CN=Restart Other',
    notAfter: new Date(T0.getTime() + 3 * YEAR),
  });
  const body = [
    trustedAdd(h.root, 1),
    trustedAdd(h.issuing, 2, { store: 'CA' }),
    pfxAtomic(pfxInstall({ pfxBlob: pfxOf(h), keyLocation: 3, keyExportable: true }), 3),
    pfxAtomic(
      pfxInstall({
        uniqueId: '0B1F6D2A-1111-4222-8333-444455556666',
        pfxBlob: pfxOf(other),
        keyLocation: 2,
        keyExportable: false,
      }),
      20,
    ),
  ];
  const file = join(work, 'windows-pfx.xml');
  writeFileSync(file, message(body));
  return file;
}

function runUntilKilled(args: string[]): Promise<ChildReport> {
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
      resolvePromise(JSON.parse(out.split('\n')[0]!) as ChildReport);
    });
  });
}

describe.each([
  { platform: 'windows', files: ['windows-trusted-root.xml', 'windows-pfx.xml'] },
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
  const pathOf = (f: string): string => (f === 'windows-pfx.xml' ? windowsPfxMessage() : join(GOLDEN, f));
  it(
    'SIGKILL after install, reopen: every store row and held() are the same',
    { timeout: 60_000 },
    async () => {
      const store = join(work, `${platform}.db`);
      const target = kind ? `${platform}:${kind}` : platform;
      const paths = files.map(pathOf);
      const before = await runUntilKilled([store, target, 'restart', ...paths]);
      // Installed, trusted or not: on Apple and Android the compile goldens share one profile identifier,
      // so the PKCS profile replaces the trusted-root profile and its identity is INSTALL_UNTRUSTED_CHAIN.
      expect(before.codes.flat().every((c) => c === 'OK' || c === 'INSTALL_UNTRUSTED_CHAIN')).toBe(true);
      expect(before.codes.flat()[0]).toBe('OK');
      expect(before.held.length).toBeGreaterThan(0);
      const rowsBefore = before.rows as {
        items: { kind: string; privateKey: string | null; attrs: Record<string, unknown> }[];
      };
      // the comparison covers key material: every platform row installs at least one private key
      expect(rowsBefore.items.some((i) => i.privateKey !== null)).toBe(true);
      if (platform === 'windows') {
        const identities = rowsBefore.items.filter((i) => i.kind === 'identity');
        expect(identities.map((i) => [i.attrs.keyLocation, i.attrs.exportable])).toEqual(
          expect.arrayContaining([
            [3, true],
            [2, false],
          ]),
        );
        expect(identities.every((i) => typeof i.attrs.ksp === 'string' && i.privateKey !== null)).toBe(true);
      }
      // the "restarted agent": same device, same store file
      const device = generateDevice({
        seed: 'restart',
        index: 0,
        platform: platform as Platform,
        ...(kind ? { kind: kind as EnrollmentKind } : {}),
      });
      const db = StoreDb.open(store, { key: RESTART_STORE_KEY });
      try {
        const ctx = { device, db, clock: new FixedClock('2026-06-01T00:00:00Z') };
        expect(storeRows(db, device.id)).toEqual(before.rows);
        expect(PLATFORM_ADAPTERS[platform].held(ctx, 'admin')).toEqual(before.held);
        // and it knows what it installed: the last payload again changes nothing
        const last = paths[paths.length - 1]!;
        const again = PLATFORM_ADAPTERS[platform].deliver(ctx, readFileSync(last));
        expect(again.outcomes.every((o) => o.code === 'UNCHANGED')).toBe(true);
        expect(storeRows(db, device.id)).toEqual(before.rows);
      } finally {
        db.close();
      }
    },
  );
});
