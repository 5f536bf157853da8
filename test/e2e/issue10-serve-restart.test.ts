/**
 * Issue 10 point 3 — `serve` restarted on its folder destroyed its state: run.db deleted, a new CA with a
 * new root key, the issued certificates no longer on record — and the run passed. Until a killed serve can
 * resume, a serve (or run) started on a folder holding an unfinished run refuses with RUN_UNFINISHED and
 * changes nothing: the same run.db bytes, the same CA root key and issued log, no report written.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/certfleet.mjs');
const SCENARIO = resolve(import.meta.dirname, 'fixtures/engine-equivalence.yaml');
const SECRET = 'issue10-serve-restart-secret-0123456789';

interface Child {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], cwd: string): Child {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', CERTFLEET_FLEET_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, out: () => out, exited };
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The folder's files (relative path → sha256), the CA folder included. */
function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      // -shm is SQLite's shared-memory index, rebuilt by any reader: not the data
      else if (!e.name.endsWith('-shm'))
        out.set(
          `${rel}${e.name}`,
          createHash('sha256')
            .update(readFileSync(join(d, e.name)))
            .digest('hex'),
        );
    }
  };
  walk(dir, '');
  return out;
}

let work: string;
const children: Child[] = [];
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i10-serve-'));
  copyFileSync(SCENARIO, join(work, 'eq.yaml'));
});
afterAll(async () => {
  for (const c of children)
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  rmSync(work, { recursive: true, force: true });
});

describe('issue 10 point 3: serve restarted on the folder of a killed run no longer destroys it', () => {
  it('refuses with RUN_UNFINISHED, exit 1, and leaves run.db, the CA and its keys byte for byte', async () => {
    const broker = start(['broker'], work);
    children.push(broker);
    await until('the broker', () => /listening on mqtt:/.test(broker.out()), 30_000);
    const url = /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(broker.out())![1]!;
    const common = ['serve', '--scenario', 'eq.yaml', '--broker', url, '--hosts', '1', '--out', 'serve'];
    // a serve waiting for its host has its run.db (run row written) and its CA: kill it there
    const first = start([...common, '--host-timeout', '300'], work);
    children.push(first);
    const db = join(work, 'serve', 'run.db');
    const rootKey = join(work, 'serve', 'ca', 'root.key');
    await until(
      'the first serve to write run.db and its CA',
      () => {
        if (!existsSync(db) || !existsSync(rootKey)) return false;
        const d = new Database(db, { readonly: true });
        try {
          return d.prepare('SELECT COUNT(*) AS n FROM run').get() !== undefined;
        } catch {
          return false;
        } finally {
          d.close();
        }
      },
      60_000,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    const before = fingerprint(join(work, 'serve'));
    expect(before.has('ca/root.key')).toBe(true);

    const second = start([...common, '--host-timeout', '5'], work);
    children.push(second);
    expect(await second.exited).toBe(1);
    expect(second.out()).toMatch(/RUN_UNFINISHED/);
    expect(second.out()).toMatch(/never finished.*nothing was changed/s);
    expect(fingerprint(join(work, 'serve'))).toEqual(before);
    expect(existsSync(join(work, 'serve', 'junit.xml'))).toBe(false);
  }, 180_000);
});
