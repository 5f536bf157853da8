/** Golden-file helpers: compare bytes with test/golden/<dir>/<name>; `CERTFLEET_UPDATE_GOLDEN=1` rewrites them. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GOLDEN_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'golden');

/** Returns the golden bytes for `dir/name`, writing `actual` first when updating or when the file is new. */
export function golden(dir: string, name: string, actual: Buffer): Buffer {
  const file = join(GOLDEN_ROOT, dir, name);
  if (process.env.CERTFLEET_UPDATE_GOLDEN === '1' || !existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  return readFileSync(file);
}

/** The path of a golden file. */
export function goldenPath(dir: string, name: string): string {
  return join(GOLDEN_ROOT, dir, name);
}

/** Runs `xmllint --noout` on a file; returns its stderr ('' when well-formed). */
export function xmllint(file: string): string {
  try {
    execFileSync('xmllint', ['--noout', file], { stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}
