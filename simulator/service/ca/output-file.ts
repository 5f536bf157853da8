/**
 * An output file a CA command reserves before it changes anything (house rule 7: bad input changes
 * nothing). `reserveOutput` creates a temporary file beside the target at once, so a missing folder, a
 * read-only one or a target that is a folder fails with IO before a certificate is issued or a CRL number
 * is used; `commit` then writes the data and renames it into place, `abort` removes the temporary file.
 */
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CertfleetError } from '../../../pki/errors.ts';

/** A reserved output file: write it with `commit`, or give it up with `abort` (both idempotent). */
export interface ReservedOutput {
  readonly path: string;
  /** Writes `data` to the temporary file and renames it to `path`; IO on failure (the target is untouched). */
  commit(data: Uint8Array): void;
  /** Removes the temporary file (a no-op after `commit`). */
  abort(): void;
}

/** Plain words for the file-system errors a user can fix, by errno code. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder',
  ENOSPC: 'no space left on the device',
  EEXIST: 'it already exists',
};

/**
 * Wraps a file-system error as an IO CertfleetError: `Cannot <action> <path>: <reason> (<errno code>).`
 * The errno code stays in `details.errno` and the original error in `cause`.
 */
export function ioError(cause: unknown, action: string, path: string): CertfleetError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    (errno !== undefined ? FS_REASONS[errno] : undefined) ?? (cause as Error | undefined)?.message;
  return new CertfleetError(
    'IO',
    `Cannot ${action} ${path}: ${reason ?? 'unknown error'}${errno ? ` (${errno})` : ''}.`,
    { cause, details: { path, ...(errno !== undefined && { errno }) } },
  );
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
