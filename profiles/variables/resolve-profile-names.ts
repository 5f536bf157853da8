/**
 * Resolves every name a PKCS profile asks for — the subject and all SANs — for one device, platform
 * independently. The service calls this before asking the connector for a certificate; a failure here is
 * the "missing variable" install failure (docs/formats.md §5.2).
 */
import { nameTemplatesOf } from '../model/profile-names.ts';
import type { TemplateTarget } from '../model/profile-names.ts';
import type { PkcsCertificateProfile } from '../model/profile.ts';
import type { DeviceFacts } from './facts.ts';
import { resolveTemplate } from './resolve-template.ts';
import type { ResolveFailure } from './resolve-template.ts';

/** One resolved SAN. */
export interface ResolvedSan {
  target: Exclude<TemplateTarget, 'subject'>;
  value: string;
  path: string;
}

/** The resolved names, or every failure (in profile order: subject first, then SANs). */
export type ProfileNamesResult =
  | { ok: true; subject: string; sans: ResolvedSan[] }
  | { ok: false; failures: ResolveFailure[]; first: ResolveFailure };

/**
 * An e-mail SAN for a user who has no e-mail address: Intune sends the request on with a null SAN and the
 * connector fails it with 0x80070057 (docs/formats.md §5.2 "Missing/empty SAN value"), so it is not a missing
 * variable at the service. A device without any user (`user-less`) stays a missing variable.
 */
function isNullEmailSan(f: ResolveFailure, target: TemplateTarget): boolean {
  return (
    f.kind === 'MissingVariable' &&
    target === 'san:email' &&
    f.attribute === 'emailAddress' &&
    f.reason !== 'user-less'
  );
}

/**
 * Resolves the subject and all SANs of `profile` for `facts`. Every template is tried, so the result lists
 * all failures; `first` is the one a device reports (the subject's, if it fails).
 */
export function resolveProfileNames(
  profile: Parameters<typeof nameTemplatesOf>[0] & Pick<PkcsCertificateProfile, 'family'>,
  facts: DeviceFacts,
): ProfileNamesResult {
  const failures: ResolveFailure[] = [];
  let subject = '';
  const sans: ResolvedSan[] = [];
  for (const t of nameTemplatesOf(profile)) {
    const r = resolveTemplate(t.template, facts, {
      certificateType: profile.certificateType,
      target: t.target,
      family: profile.family,
      path: t.path,
    });
    if (!r.ok) {
      if (isNullEmailSan(r.outcome, t.target)) sans.push({ target: 'san:email', value: '', path: t.path });
      else failures.push(r.outcome);
    } else if (t.target === 'subject') {
      subject = r.value;
    } else {
      sans.push({ target: t.target, value: r.value, path: t.path });
    }
  }
  const first = failures[0];
  return first === undefined ? { ok: true, subject, sans } : { ok: false, failures, first };
}
