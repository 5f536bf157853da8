/** How the CLI prints results and failures: one place for exit codes and error lines. */
import { CertfleetError, isInputError } from '../pki/errors.ts';

/**
 * Exit codes (README "Exit codes"): 0 success (every expectation held), 1 the operation was refused or
 * failed (an expectation broke, a CA denial, a broker that cannot be reached…), 2 usage errors (the
 * command line), 3 an input the command reads cannot be loaded (pki/errors.ts `isInputError`), 130 a run
 * stopped by SIGINT and 143 one stopped by SIGTERM (128 + the signal's number, as shells report a process
 * the signal killed; the run still wrote its reports, marked interrupted).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, input: 3, sigint: 130, sigterm: 143 } as const;

/** The exit code of a run a signal stopped: 130 for SIGINT, 143 for SIGTERM (see {@link EXIT}). */
export function interruptedExitCode(signal: string): number {
  return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
}

/** The exit code of a failure: {@link EXIT}. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof CertfleetError && e.code === 'USAGE') return EXIT.usage;
  return isInputError(e) ? EXIT.input : EXIT.failed;
}

/**
 * Prints a failure as `error CODE: message` on stderr (never a bare stack trace) and returns the exit
 * code. Unexpected errors are reported as INTERNAL with their message; set CERTFLEET_DEBUG=1 for stacks.
 */
export function reportFailure(e: unknown): number {
  if (e instanceof CertfleetError) {
    process.stderr.write(`error ${e.code}: ${e.message}\n`);
    return exitCodeOf(e);
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
