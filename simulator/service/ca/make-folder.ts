/**
 * Creates a folder and its missing parents one level at a time, failing fast with IO.
 *
 * Not `mkdirSync(dir, { recursive: true })`: on Node 20 that never returns for a path under /proc (the
 * kernel answers ENOENT for the new entry although its parent exists, and the recursive walk retries for
 * ever, spinning a CPU — observed here with Node v20.20.2 and `/proc/x`). Walking up to the first existing
 * ancestor and creating each missing level with a plain mkdir turns that into one ENOENT.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ioError } from '../../../pki/fs-error.ts';

/** Makes `dir` (and missing parents); IO when a parent is a file, the file system refuses, or access is denied. */
export function makeFolder(dir: string): void {
  const action = 'create the folder';
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, action, dir);
      missing.push(p);
      const parent = dirname(p);
      if (parent === p) throw ioError(e, action, dir);
      p = parent;
      continue;
    }
    if (!isDir) {
      const notDir = Object.assign(new Error(`${p} is not a folder`), { code: 'ENOTDIR' });
      throw ioError(notDir, action, dir, `${p} is a file, not a folder`);
    }
    break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue; // made meanwhile by someone else
      // ENOENT although the parent exists: a pseudo file system (/proc, /sys) that allows no new entries.
      throw ioError(
        e,
        action,
        dir,
        code === 'ENOENT' ? `${dirname(m)} does not allow new folders` : undefined,
      );
    }
  }
}
