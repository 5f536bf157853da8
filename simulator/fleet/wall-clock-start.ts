/**
 * The virtual start of a `--tls` run on Mosquitto. A limitation of a broker that checks certificates by the
 * wall clock: Mosquitto hands client certificates to OpenSSL, which checks notBefore/notAfter against the
 * system time (X509_verify_cert with no X509_V_FLAG_USE_CHECK_TIME; mosquitto.conf(5) has no option to
 * change it — inferred from the option list and tried here with Mosquitto 2.0.11), while the run issues
 * management certificates at VIRTUAL time. The embedded broker has no such limit: it judges client
 * certificates at virtual time (tls-setup.ts, `verifyClient`).
 *
 * So, for a TLS run on Mosquitto:
 * - without `start:` in the scenario, the virtual clock starts at wall now − duration − ramp − 1 h: every
 *   certificate the run issues is dated in the wall-clock past, hence already valid for Mosquitto;
 * - an explicit `start:` that puts issuance in the wall-clock future (start + duration after now) is
 *   refused, as is a management certificate validity (template `CertfleetMdmDevice`) too short to still
 *   be valid by the wall clock when the run ends (then the certificate would be expired for Mosquitto).
 */
import { scenarioInvalid } from '../scenario/checker.ts';
import { addValidity, type ValidityPeriod } from '../service/ca/template.ts';

const HOUR = 3_600_000;
/** Slack between the last virtual instant and the wall clock (the brief's 1 h). */
export const WALL_CLOCK_MARGIN_MS = HOUR;
/** What the run may take on the wall clock: certificates must stay valid that long after wall now. */
export const WALL_RUN_ALLOWANCE_MS = HOUR;
/** EnterpriseCa.issue back-dates leaves 10 minutes (as AD CS does). */
const BACKDATE_MS = 10 * 60_000;

/** What {@link wallClockTlsStart} needs. */
export interface WallClockStartInput {
  /** The scenario file (for the message). */
  file: string;
  /** The scenario's start (epoch ms) and the line of its `start:` key when it gives one. */
  start: number;
  startLine?: number;
  durationMs: number;
  rampMs: number;
  /** The validity of the management certificate template. */
  managementValidity: ValidityPeriod;
  /** Wall-clock now, epoch ms. */
  wallNow: number;
  /** The earliest start the CA allows (a reused CA folder: its notBefore + 10 min), if any. */
  earliestStart?: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function periodText(v: ValidityPeriod): string {
  return `${v.value} ${v.value === 1 ? v.unit.replace(/s$/, '') : v.unit}`;
}

/**
 * The virtual start to use for a TLS run on Mosquitto (epoch ms).
 * @throws CertfleetError SCENARIO_INVALID naming `start:` (or `duration:`) and why.
 * @example
 * wallClockTlsStart({ file: 's.yaml', start: Date.parse('2026-01-01'), durationMs: 86_400_000, rampMs: 0,
 *   managementValidity: { value: 1, unit: 'years' }, wallNow: Date.now() }); // now − 1 d − 1 h
 */
export function wallClockTlsStart(i: WallClockStartInput): number {
  const why = 'Mosquitto checks client certificates by the wall clock, not the virtual clock';
  const problem = (path: string, message: string): Error =>
    scenarioInvalid(i.file, [{ file: i.file, line: i.startLine ?? 1, column: 1, path, message }]);
  const explicit = i.startLine !== undefined;
  const start = explicit ? i.start : i.wallNow - i.durationMs - i.rampMs - WALL_CLOCK_MARGIN_MS;
  const validUntil = (issuedAt: number): number =>
    addValidity(new Date(issuedAt - BACKDATE_MS), i.managementValidity).getTime();
  const window = i.durationMs + i.rampMs + WALL_CLOCK_MARGIN_MS + WALL_RUN_ALLOWANCE_MS;
  if (addValidity(new Date(0), i.managementValidity).getTime() - BACKDATE_MS < window) {
    throw problem(
      explicit ? 'start' : 'duration',
      `--tls --broker mosquitto: the management certificate is valid ${periodText(i.managementValidity)}, shorter than the run window (duration + ramp + 2 h); ${why}, so certificates issued at the start would be expired for it: shorten duration:, or use the embedded broker`,
    );
  }
  if (explicit && start + i.durationMs > i.wallNow) {
    throw problem(
      'start',
      `--tls --broker mosquitto: start: ${iso(start)} + duration ends after the wall-clock now (${iso(i.wallNow)}); ${why}, so certificates issued then would not be valid yet: set start: ${iso(i.wallNow - i.durationMs - WALL_CLOCK_MARGIN_MS)} or earlier, leave start: out, or use the embedded broker`,
    );
  }
  if (explicit && validUntil(start) < i.wallNow + WALL_RUN_ALLOWANCE_MS) {
    throw problem(
      'start',
      `--tls --broker mosquitto: start: ${iso(start)} is too early: management certificates issued then (valid ${periodText(i.managementValidity)}) are expired by the wall clock; ${why}: set a later start:, leave start: out, or use the embedded broker`,
    );
  }
  if (i.earliestStart !== undefined && start < i.earliestStart) {
    throw problem(
      'start',
      `--tls --broker mosquitto: the run must start at ${iso(start)} (${why}), before the CA is valid (${iso(i.earliestStart)}): use a fresh CA or an older CA folder, or the embedded broker`,
    );
  }
  return start;
}
