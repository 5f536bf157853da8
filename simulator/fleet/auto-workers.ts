/**
 * The default of `certfleet run --workers`: how many agent hosts a run gets when the user names none.
 *
 * The issue-9 default is one host per core. Measured on a 2-core machine (README "At scale"): a 300-device
 * run of scenarios/default.yaml takes the same wall time in one process and with two hosts (key generation
 * fills both cores either way: 112 s each), while a 3-device run takes 15 s with two hosts against 7 s in one
 * process (two child processes to start, and every virtual instant's barrier crosses processes). So the
 * default spreads the fleet over the cores only when it is big enough for the hosts to matter — from
 * {@link AUTO_WORKERS_MIN_DEVICES} devices, where one process starts to carry hundreds of MQTT sockets (about
 * 40 + 2 per device open files, docs/architecture.md "The fleet engine") — and keeps one process below that.
 * Options the hosts cannot carry (another broker, TLS, MQTT 5, a device subset) also keep one
 * process; given explicitly with `--workers N` they are refused instead (run-command.ts).
 */
import { availableParallelism } from 'node:os';

/** From this many devices, a run with no `--workers` spreads its agents over one host per core. */
export const AUTO_WORKERS_MIN_DEVICES = 200;

/** What the default depends on. */
export interface AutoWorkersInput {
  /** Devices in the fleet (after `--devices`). */
  devices: number;
  /** True when an option only one process carries was given (`--broker`, `--tls`, `--mqtt-version 5`, a replay subset). */
  oneProcessOnly: boolean;
  /** Cores of this machine (default `os.availableParallelism()`). */
  cores?: number;
}

/** The number of agent hosts for a run that names none: 0 (one process) or one per core. */
export function autoWorkers(i: AutoWorkersInput): number {
  if (i.oneProcessOnly || i.devices < AUTO_WORKERS_MIN_DEVICES) return 0;
  return Math.max(1, i.cores ?? availableParallelism());
}
