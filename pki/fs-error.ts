/**
 * File-system failures in words a person can act on (docs/architecture.md house rule 5): as IO errors with
 * the path, or as the reason a file named in an input could not be read.
 */
import { CertfleetError } from './errors.ts';

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
 * The errno code stays in `details.errno` and the original error in `cause`; `reasonOverride` replaces the
 * plain words when the caller knows better (e.g. ENOENT from mkdir under /proc, whose parent does exist).
 */
export function ioError(
  cause: unknown,
  action: string,
  path: string,
  reasonOverride?: string,
): CertfleetError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    reasonOverride ??
    (errno !== undefined ? FS_REASONS[errno] : undefined) ??
    (cause as Error | undefined)?.message;
  return new CertfleetError(
    'IO',
    `Cannot ${action} ${path}: ${reason ?? 'unknown error'}${errno ? ` (${errno})` : ''}.`,
    { cause, details: { path, ...(errno !== undefined && { errno }) } },
  );
}

/**
 * Why a file could not be read, in plain words with the errno code: `no such file (ENOENT)`,
 * `permission denied (EACCES)`…; the error's own message for anything else.
 */
export function readFailureReason(cause: unknown): string {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (errno === undefined) return (cause as Error | undefined)?.message ?? 'unknown error';
  const reason = errno === 'ENOENT' ? 'no such file' : FS_REASONS[errno];
  return reason === undefined ? (cause as Error).message : `${reason} (${errno})`;
}
