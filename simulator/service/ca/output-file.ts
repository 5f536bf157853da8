/**
 * An output file a CA command reserves before it changes anything (docs/architecture.md house rule 7: bad input changes
 * nothing). `reserveOutput` creates a temporary file beside the target at once, so a missing folder, a
 * read-only one or a target that is a folder fails with IO before a certificate is issued or a CRL number
 * is used; `commit` then writes the data and renames it into place, `abort` removes the temporary file.
 */
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ioError } from '../../../pki/fs-error.ts';

/** A reserved output file: write it with `commit`, or give it up with `abort` (both idempotent). */
export interface ReservedOutput {
  readonly path: string;
  /** Writes `data` to the temporary file and renames it to `path`; IO on failure (the target is untouched). */
  commit(data: Uint8Array): void;
  /** Removes the temporary file (a no-op after `commit`). */
  abort(): void;
}

/**
 * Reserves `path` for writing (file mode `mode`): throws IO now when it cannot be written, and returns the
 * handle that writes it later.
 *
 * @example
 * const out = reserveOutput('/tmp/x.pfx', 0o600);
 * try { out.commit(buildPfx()); } finally { out.abort(); }
 */
export function reserveOutput(path: string, mode = 0o644): ReservedOutput {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // absent (the normal case) or unreadable: opening the temporary file below says which
  }
  if (isDir) throw ioError(Object.assign(new Error('is a folder'), { code: 'EISDIR' }), 'write', path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
  } catch (cause) {
    throw ioError(cause, 'write', path);
  }
  let done = false;
  const abort = (): void => {
    if (done) return;
    done = true;
    try {
      if (fd !== undefined) closeSync(fd);
    } finally {
      fd = undefined;
      rmSync(tmp, { force: true });
    }
  };
  const commit = (data: Uint8Array): void => {
    if (done) return;
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd!, data, off);
      closeSync(fd!);
      fd = undefined;
      renameSync(tmp, path);
      done = true;
    } catch (cause) {
      abort();
      throw ioError(cause, 'write', path);
    }
  };
  return { path, commit, abort };
}
