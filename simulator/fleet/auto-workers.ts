/**
 * The default layout of `certfleet run` when the user names none (no `--workers`, no `--broker`): where
 * the devices and the broker run on one machine.
 *
 * Measured on a 2-core machine (README "At scale", the bench scenario with a key pool): one process
 * (`--workers 0`) runs 1,000 devices 1.6 × faster than one agent host per core (`--workers 2`) on half the
 * CPU — the split engine's control waves across processes cost as much CPU as the devices themselves — so
 * the agent hosts are no longer the default at any size. What limits one process is open files: a process
 * may hold at most 20,000 here (`ulimit -Hn`), and every device is one MQTT socket on its side plus one on
 * the embedded broker's — about 40 + 2 per device (test/e2e/open-files.test.ts), 20,040 at 10,000 devices.
 * So from {@link AUTO_CHILD_BROKER_MIN_DEVICES} devices the run keeps the service side and every device in
 * its process and moves the broker into a child process (`--broker child`, simulator/broker/child-broker.ts):
 * about 40 + 1 per device in each (≈ 10,040 at 10,000 devices), up to about 19,900 devices. Below the
 * threshold the broker stays in the run's process, which costs less CPU than a child broker (every message
 * crosses a process boundary there).
 *
 * Options only one process with the run's own broker carries (another broker, TLS, MQTT 5, a device
 * subset) keep one process with the broker they name. `--workers N` (0 included) and `--broker` override
 * the default (run-command.ts).
 */

/**
 * From this many devices a run with neither `--workers` nor `--broker` puts the embedded broker in a child
 * process: 2 × 8,000 + 40 = 16,040 open files is the most one process with the broker is given, a fifth
 * below the 20,000 limit (connectors, SQLite files, worker threads and the runtime's own descriptors vary
 * with the scenario).
 */
export const AUTO_CHILD_BROKER_MIN_DEVICES = 8000;

/**
 * The most agent hosts a run spreads its devices over: `run --workers` (child processes of the run) and
 * `serve --hosts` (the `certfleet agents` processes it waits for; `certfleet broker --mosquitto` writes
 * accounts for that many, fleet-broker.ts).
 */
export const MAX_AGENT_HOSTS = 64;

/** What the default depends on. */
export interface AutoLayoutInput {
  /** Devices in the fleet (after `--devices`). */
  devices: number;
  /** True when an option only one process carries was given (`--broker`, `--tls`, `--mqtt-version 5`, a replay subset). */
  oneProcessOnly: boolean;
}

/** Where a run's devices and broker go: agent host processes (0: the run's process) and the broker. */
export interface RunLayout {
  workers: number;
  /** `child`: the embedded broker in a child process; absent: the broker the options name (default embedded). */
  broker?: 'child';
}

/** The layout of a run that names neither `--workers` nor `--broker` (see the file comment). */
export function autoLayout(i: AutoLayoutInput): RunLayout {
  if (i.oneProcessOnly || i.devices < AUTO_CHILD_BROKER_MIN_DEVICES) return { workers: 0 };
  return { workers: 0, broker: 'child' };
}
