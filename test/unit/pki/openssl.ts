/**
 * Runs the OpenSSL CLI (spawnSync, no shell; stdout and stderr both kept) for tests that check certfleet's output with OpenSSL's own parser, and a per-test
 * temporary folder to put files in.
 *
 * @example
 * const dir = makeTempDir();
 * writeFileSync(join(dir.path, 'c.pem'), cert.pem);
 * const r = openssl(['x509', '-in', join(dir.path, 'c.pem'), '-noout', '-text']);
 * expect(r.status).toBe(0);
 * dir.remove();
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one openssl run printed, and its exit status. */
export interface OpensslResult {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for matching messages that OpenSSL prints on either. */
  output: string;
}

/** Runs `openssl ...args` (no shell) and returns its output and status instead of throwing. */
export function openssl(args: readonly string[], input?: string | Uint8Array): OpensslResult {
  const r = spawnSync('openssl', args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  const stdout = r.stdout ?? '';
  const stderr = r.stderr ?? '';
  return { status: r.status ?? -1, stdout, stderr, output: stdout + stderr };
}

/** A temporary folder for one test: `file(name, data)` writes into it and returns the path. */
export interface TempDir {
  path: string;
  file(name: string, data: string | Uint8Array): string;
  remove(): void;
}

/** Makes a fresh folder under the OS temp dir (remove it in afterEach / finally). */
export function makeTempDir(prefix = 'certfleet-pki-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file(name, data) {
      const p = join(path, name);
      writeFileSync(p, data);
      return p;
    },
    remove() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}
