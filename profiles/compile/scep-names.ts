/**
 * The names a SCEP payload carries (Apple `com.apple.security.scep`, Windows ClientCertificateInstall/SCEP):
 * the profile's subject and SAN templates resolved for the device, and the subject parsed as a distinguished
 * name — the device builds its request from them, so a subject that is no DN fails at compile (DN_SYNTAX),
 * naming the setting to fix. A SAN the profile gives twice (the same type and value) is carried once
 * (unique-sans.ts).
 */
import { CertfleetError, parseDn, type Dn } from '../../pki/index.ts';
import type { ScepCertificateProfile } from '../model/scep-profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import { resolveProfileNames, type ResolvedSan } from '../variables/resolve-profile-names.ts';
import type { CompileResult } from './compile-types.ts';
import { validationError } from './outcomes.ts';
import { withoutRepeatedSans } from './unique-sans.ts';

/** The resolved names of a SCEP profile for one device, or the compile failure. */
export type ScepNames =
  { ok: true; subject: string; dn: Dn; sans: ResolvedSan[] } | Extract<CompileResult, { ok: false }>;

/** Resolves `profile`'s subject and SANs for the device of `facts` and parses the subject. */
export function resolveScepNames(profile: ScepCertificateProfile, facts: DeviceFacts): ScepNames {
  const names = resolveProfileNames(profile, facts);
  if (!names.ok) return { ok: false, outcome: names.first };
  try {
    return {
      ok: true,
      subject: names.subject,
      dn: parseDn(names.subject),
      sans: withoutRepeatedSans(names.sans),
    };
  } catch (e) {
    if (!(e instanceof CertfleetError)) throw e;
    return {
      ok: false,
      outcome: validationError(
        'DN_SYNTAX',
        profile.subjectNameFormat === 'custom' ? 'subjectNameFormatString' : 'subjectNameFormat',
        `The resolved subject "${names.subject}" is not a distinguished name: ${e.message} Fix the subject name format.`,
      ),
    };
  }
}
