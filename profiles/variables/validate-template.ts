/**
 * Static checks of one subject or SAN template, before any device is involved: syntax, unknown variables,
 * and the restrictions of {@link RESTRICTIONS} that depend only on the profile (certificate type, SAN
 * attribute, profile family). Device-dependent restrictions are checked by resolveTemplate.
 */
import type { ProfileFamily } from '../model/platform.ts';
import { PROFILE_FAMILY_INFO } from '../model/platform.ts';
import type { ProfileProblem, ProfileWarning } from '../model/problem.ts';
import type { TemplateTarget } from '../model/profile-names.ts';
import type { CertificateType } from '../model/profile.ts';
import { closest } from '../model/suggest.ts';
import { lookupVariable, VARIABLE_NAMES } from './catalogue.ts';
import type { VariableSpec } from './catalogue.ts';
import { lexTemplate } from './template-syntax.ts';

/** Where a template is used. */
export interface TemplateContext {
  certificateType: CertificateType;
  target: TemplateTarget;
  /** The profile family, when known: enables family-level rules (UserName in AE device-owner SANs, SID platforms). */
  family?: ProfileFamily;
  /** Path reported in problems; default `template`. */
  path?: string;
}

/** Something allowed but documented as risky (code VARIABLE_ADVISORY). */
export type TemplateWarning = ProfileWarning;

/** A variable reference found in a template, with its catalogue entry. */
export interface UsedVariable {
  raw: string;
  spec: VariableSpec;
}

/** Result of {@link checkTemplate}. */
export interface TemplateCheck {
  problems: ProfileProblem[];
  warnings: TemplateWarning[];
  variables: UsedVariable[];
}

/** The reason a variable may not be used in this context, or undefined when it may. */
export function contextRuleBroken(
  spec: VariableSpec,
  ctx: Omit<TemplateContext, 'path'>,
): string | undefined {
  const { certificateType, target, family } = ctx;
  const r = spec.restrictions as readonly string[];
  // The rules and their wording follow SCEPDOC (and PFXDOC for user variables in device certificates),
  // docs/formats.md §5.1; the source tags stay here, out of the messages people read.
  if (r.includes('uri-san-only') && target !== 'san:uri') {
    return `{{${spec.name}}} may only be used in a URI subject alternative name (Intune renders it as tag:microsoft.com,2022-09-14:sid:<SID>)`;
  }
  if (r.includes('sid-platforms') && family !== undefined) {
    const platform = PROFILE_FAMILY_INFO[family].platform;
    if (certificateType === 'device' && platform !== 'windows') {
      return `{{${spec.name}}} is supported in device certificates only on Microsoft Entra hybrid-joined Windows devices`;
    }
    if (certificateType === 'user' && platform === 'android') {
      return `{{${spec.name}}} is supported in user certificates only on iOS/iPadOS, macOS and Windows`;
    }
  }
  if (spec.scope === 'user' && certificateType === 'device' && !r.includes('sid-platforms')) {
    return `{{${spec.name}}} is a user variable, and device certificates can only contain device variables`;
  }
  if (
    r.includes('not-in-san-on-android-device-owner') &&
    target !== 'subject' &&
    family === 'android-device-owner'
  ) {
    return `{{${spec.name}}} is not supported in the subject alternative name on Android Enterprise fully managed, dedicated and corporate-owned work profile devices`;
  }
  return undefined;
}

/** The rule for an unknown variable: the closest catalogue name when it looks like a typo (`{{IMIE}}`). */
function unknownVariableRule(raw: string, name: string): string {
  const near = closest(name, VARIABLE_NAMES);
  return near !== undefined
    ? `uses ${raw}, which is not an Intune certificate variable: did you mean {{${near}}}?`
    : `uses ${raw}, which is not an Intune certificate variable (see the variable catalogue, e.g. {{UserPrincipalName}}, {{IMEI}}, {{DeviceName}})`;
}

/** Full static check: problems (errors), warnings (documented advice) and the variables used. */
export function checkTemplate(template: string, ctx: TemplateContext): TemplateCheck {
  const path = ctx.path ?? 'template';
  const { tokens, problems } = lexTemplate(template, path);
  const warnings: TemplateWarning[] = [];
  const variables: UsedVariable[] = [];
  tokens.forEach((t, k) => {
    if (t.kind !== 'variable' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.name)) return;
    const spec = lookupVariable(t.name);
    if (spec === undefined) {
      problems.push({
        path,
        rule: unknownVariableRule(t.raw, t.name),
        code: 'VARIABLE_UNKNOWN',
      });
      return;
    }
    variables.push({ raw: t.raw, spec });
    const broken = contextRuleBroken(spec, ctx);
    if (broken !== undefined) {
      problems.push({ path, rule: `uses ${t.raw}: ${broken}`, code: 'VARIABLE_NOT_ALLOWED' });
    }
    const r = spec.restrictions as readonly string[];
    if (r.includes('avoid-in-windows-subject') && ctx.target === 'subject' && ctx.family === 'windows') {
      warnings.push({
        path,
        code: 'VARIABLE_ADVISORY',
        variable: t.raw,
        // SCEPDOC: {{DeviceId}} in a Windows subject
        advice:
          'avoid {{DeviceId}} in a Windows subject: in certain instances it causes sync with Intune to fail',
      });
    }
    if (r.includes('quote-if-comma') && ctx.target === 'subject') {
      const before = tokens[k - 1];
      const after = tokens[k + 1];
      const quoted =
        before?.kind === 'text' &&
        before.value.endsWith('"') &&
        after?.kind === 'text' &&
        after.value.startsWith('"');
      if (!quoted) {
        warnings.push({
          path,
          code: 'VARIABLE_ADVISORY',
          variable: t.raw,
          // SCEPDOC: quote {{OnPrem_Distinguished_Name}}
          advice: `${t.raw} is a distinguished name and its value contains commas: unquoted, the subject reads it as several RDNs (CN=CN=…,OU=…,DC=…); quote it: CN="${t.raw}"`,
        });
      }
    }
  });
  return { problems, warnings, variables };
}

/**
 * Problems of one template: single braces, unknown variables, `{ } | ;` after a variable
 * (TEMPLATE_MALFORMED, VARIABLE_UNKNOWN), and variables not allowed for the certificate type, SAN
 * attribute or family (VARIABLE_NOT_ALLOWED). Empty when the template is fine.
 */
export function validateTemplate(template: string, ctx: TemplateContext): ProfileProblem[] {
  return checkTemplate(template, ctx).problems;
}
