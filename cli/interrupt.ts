/**
 * SIGINT/SIGTERM on the long-running commands (`run`, `serve`, `agents`; issue 10 point 7): the first
 * signal prints a line saying what the command does about it and resolves the stop request the command
 * passes down (the run stops at its current virtual instant, writes what it has, releases what it started);
 * a second signal leaves at once, without cleaning up, with the same exit code (130 SIGINT, 143 SIGTERM).
 */
import { untilSignal, type StopSignal } from '../simulator/fleet/until-signal.ts';
import { interruptedExitCode } from './output.ts';

/**
 * Listens for SIGINT/SIGTERM on behalf of `certfleet <command>`; `doing` says what the command does on the
 * first signal ("stopping the run at its current virtual instant, writing its reports (marked interrupted)").
 */
export function interruptOnSignal(command: string, doing: string): StopSignal {
  const signals = untilSignal();
  const onSecond = (s: NodeJS.Signals): void => {
    process.stderr.write(`certfleet ${command}: second ${s}: leaving now, without cleaning up.\n`);
    process.exit(interruptedExitCode(s));
  };
  let disposed = false;
  void signals.promise.then((s) => {
    if (disposed) return;
    process.stderr.write(`\ncertfleet ${command}: ${s} received: ${doing}. ${s} again to leave at once.\n`);
    process.once('SIGINT', onSecond);
    process.once('SIGTERM', onSecond);
  });
  return {
    promise: signals.promise,
    dispose: () => {
      disposed = true;
      signals.dispose();
      process.removeListener('SIGINT', onSecond);
      process.removeListener('SIGTERM', onSecond);
    },
  };
}
