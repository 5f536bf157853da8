/** How the CLI prints results and failures: one place for exit codes and error lines. */
import { CertfleetError } from '../pki/errors.ts';

/** Exit codes: 0 success, 1 the operation was refused or failed, 2 usage errors. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Prints a failure as `error CODE: message` on stderr (never a bare stack trace) and returns the exit
 * code. Unexpected errors are reported as INTERNAL with their message; set CERTFLEET_DEBUG=1 for stacks.
 */
export function reportFailure(e: unknown): number {
  if (e instanceof CertfleetError) {
    process.stderr.write(`error ${e.code}: ${e.message}\n`);
    return e.code === 'USAGE' ? EXIT.usage : EXIT.failed;
  }
  const message = e instanceof Error ? e.message : String(e);
  // A file-system error that no command wrapped is still an IO failure, not a bug: say so with its code.
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  const code = typeof errno === 'string' && /^E[A-Z]+$/.test(errno) ? 'IO' : 'INTERNAL';
  process.stderr.write(`error ${code}: ${message}\n`);
  if (process.env.CERTFLEET_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return EXIT.failed;
}

/** Writes one JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
