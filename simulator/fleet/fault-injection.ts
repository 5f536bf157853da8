/**
 * A testing aid, inert unless set (docs/architecture.md "Faults: the broker, a device, the service"): the
 * environment variable `CERTFLEET_FAULT_KILL_AFTER=ca-issued:N`, read once when a coordinated run starts
 * (`serve`; `run --workers` reads it too), makes the process SIGKILL itself right after the CA issued the
 * N-th certificate a certificate connector asked for — after the CA wrote its issued record, before the
 * connector hands its result back to the service. So an end-to-end test kills `serve` at that exact moment
 * on the virtual clock's terms, with no wall-time race (issue 10 point 3).
 *
 * N is the place of the request's record among the CA's issued records that carry a request id of the
 * run's connectors (`{scope}/{requestId}`, the key journal's scope; EnterpriseCa `issuedForRequest`), on
 * the CA that issued: exact whatever ran concurrently, and on disk,
 * so the count goes on across a restart — a resumed `serve` started with the same variable has passed N
 * and is not killed again. A value of another form is refused with USAGE before anything is written. The line
 * it prints names the count only.
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { EnterpriseCa } from '../service/ca/enterprise-ca.ts';

/** The variable's name. */
export const FAULT_KILL_AFTER = 'CERTFLEET_FAULT_KILL_AFTER';

/** The fault a run was started with. */
export interface FaultInjection {
  /**
   * Called by a connector right after `ca` issued for request `caRequestId` (the id the CA recorded),
   * before the result is handed back.
   */
  caIssued(ca: EnterpriseCa, caRequestId: string): void;
}

/**
 * The fault `env` asks for, or undefined when the variable is unset or empty (inert).
 * `kill` is how the process dies (default: SIGKILL to itself); a test passes its own.
 * @throws CertfleetError USAGE when the value is not `ca-issued:N` with N a positive integer.
 */
export function faultInjection(
  env: NodeJS.ProcessEnv = process.env,
  kill: () => void = () => process.kill(process.pid, 'SIGKILL'),
): FaultInjection | undefined {
  const text = env[FAULT_KILL_AFTER]?.trim();
  if (text === undefined || text === '') return undefined;
  const m = /^ca-issued:([1-9][0-9]{0,8})$/.exec(text);
  if (m === null)
    throw new CertfleetError(
      'USAGE',
      `${FAULT_KILL_AFTER} is "${text.slice(0, 40)}": the only fault is ca-issued:N (N a positive integer, the CA issuance after which the process kills itself); unset it for a normal run.`,
    );
  const n = Number(m[1]);
  let fired = false;
  return {
    caIssued(ca, caRequestId) {
      if (fired) return;
      // the run's connector requests: the same scope (SCEP issuances carry `scep/…` ids, not counted)
      const scope = caRequestId.slice(0, caRequestId.indexOf('/') + 1);
      const place =
        ca
          .issuedRecords()
          .filter((r) => r.requestId?.startsWith(scope) === true)
          .findIndex((r) => r.requestId === caRequestId) + 1;
      if (place !== n) return;
      fired = true;
      process.stderr.write(
        `${FAULT_KILL_AFTER}: the CA issued its certificate number ${n} for a connector; killing this process (SIGKILL) before the result is handed back\n`,
      );
      kill();
    },
  };
}
