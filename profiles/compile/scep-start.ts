/**
 * What every SCEP compile (Apple, Windows, Android Enterprise) starts from: the profile is for the device's
 * family, the service gave the device's one-time challenge (and, for Windows, the root CA's thumbprint, which
 * the CCI requires), and the subject and SANs resolve for the device (scep-names.ts). Any of them missing is
 * the compile's failure, with the same code and message on every platform.
 */
import type { ScepCertificateProfile } from '../model/scep-profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import type { CompileOptions, CompileResult, ScepEnrolment } from './compile-types.ts';
import { validationError } from './outcomes.ts';
import { familyMismatch } from './resolve-request.ts';
import { resolveScepNames, type ScepNames } from './scep-names.ts';

/** The enrolment and the resolved names of a SCEP compile, or its failure. */
export type ScepStart =
  | { ok: true; enrolment: ScepEnrolment; names: Extract<ScepNames, { ok: true }> }
  | Extract<CompileResult, { ok: false }>;

/**
 * Checks the family and the enrolment of a SCEP compile and resolves its names. `needsCaThumbprint`: the
 * payload names the root CA by its SHA-1 thumbprint (Windows `CAThumbprint`, required there).
 */
export function startScepCompile(
  profile: ScepCertificateProfile,
  facts: DeviceFacts,
  options: CompileOptions,
  needsCaThumbprint = false,
): ScepStart {
  const mismatch = familyMismatch(profile, facts);
  if (mismatch !== undefined) return { ok: false, outcome: mismatch };
  const enrolment = options.scep;
  if (enrolment === undefined || (needsCaThumbprint && enrolment.caThumbprint === undefined)) {
    return {
      ok: false,
      outcome: validationError(
        'USAGE',
        '',
        needsCaThumbprint
          ? `The Windows SCEP profile "${profile.displayName}" needs the device's one-time challenge and the root CA's SHA-1 thumbprint (CAThumbprint): give both (certfleet profile compile --challenge C --ca DIR).`
          : `The SCEP profile "${profile.displayName}" needs the device's one-time challenge: give it (certfleet profile compile --challenge C).`,
      ),
    };
  }
  const names = resolveScepNames(profile, facts);
  if (!names.ok) return names;
  return { ok: true, enrolment, names };
}
