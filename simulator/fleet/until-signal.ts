/** Waiting for SIGINT / SIGTERM: how the long-running fleet commands (broker, serve, agents) learn to stop. */

/** A stop request and how to stop listening for it. */
export interface StopSignal {
  /** Resolves with the signal's name when SIGINT or SIGTERM arrives. */
  promise: Promise<NodeJS.Signals>;
  /** Removes the handlers (call once the command is done). */
  dispose(): void;
}

/** Listens for SIGINT and SIGTERM (once). */
export function untilSignal(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): StopSignal {
  let onSignal: (s: NodeJS.Signals) => void = () => undefined;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (s) => resolve(s);
  });
  for (const s of signals) process.once(s, onSignal);
  return {
    promise,
    dispose: () => {
      for (const s of signals) process.removeListener(s, onSignal);
    },
  };
}
