/**
 * A validation problem: where (a path into the input), which rule was broken, and the stable error code.
 * Codes come from the closed list in pki/errors.ts.
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { ErrorCode } from '../../pki/errors.ts';

/** The error codes a profile or template validation can report. */
export type ProblemCode = Extract<
  ErrorCode,
  'PROFILE_INVALID' | 'TEMPLATE_MALFORMED' | 'VARIABLE_UNKNOWN' | 'VARIABLE_NOT_ALLOWED'
>;

/**
 * One broken rule.
 * @example { path: 'renewalThresholdPercentage', rule: 'must be an integer from 1 to 99', code: 'PROFILE_INVALID' }
 */
export interface ProfileProblem {
  /** Dotted path with `[i]` indexes, e.g. `customSubjectAlternativeNames[2].name`. */
  path: string;
  /** The rule, phrased to follow the path: "must be an integer from 1 to 99". */
  rule: string;
  code: ProblemCode;
}

/**
 * The codes a validation warning can carry (pki/errors.ts): the advisories, and — when a Graph profile is
 * imported as the service accepts it (validateProfile `asGraphService`) — the code the run will fail with
 * where the real tenant fails (the connector, the CA or the device).
 */
export type WarningCode = Extract<
  ErrorCode,
  | 'VARIABLE_ADVISORY'
  | 'PROFILE_ADVISORY'
  | 'CA_UNAVAILABLE'
  | 'VARIABLE_NOT_ALLOWED'
  | 'VARIABLE_UNKNOWN'
  | 'TEMPLATE_MALFORMED'
>;

/**
 * Something allowed but documented as risky (docs/formats.md §5.1 restrictions table): reported beside the
 * result, never a failure.
 * @example { path: 'subjectNameFormatString', code: 'VARIABLE_ADVISORY', variable: '{{DeviceId}}', advice: 'avoid {{DeviceId}} in a Windows subject: …' }
 */
export interface ProfileWarning {
  path: string;
  code: WarningCode;
  /** The variable as written, e.g. `{{DeviceId}}` (absent for a warning about a setting, not a variable). */
  variable?: string;
  advice: string;
}

/**
 * Either the validated value or every problem found (never a half-loaded value); warnings either way,
 * kept apart from problems because a warning does not fail validation.
 */
export type Validated<T> =
  | { ok: true; value: T; warnings: ProfileWarning[] }
  | { ok: false; problems: ProfileProblem[]; warnings: ProfileWarning[] };

/** `path` + `.key`, or `key` when path is empty. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** One line per problem: "path: rule [CODE]". */
export function formatProblems(problems: readonly ProfileProblem[]): string {
  return problems.map((p) => `${p.path || '(root)'}: ${p.rule} [${p.code}]`).join('\n');
}

/** One line per warning, the CLI's `warning CODE: path: advice` style (each line ends with a newline; empty when none). */
export function formatWarnings(warnings: readonly ProfileWarning[]): string {
  return warnings.map((w) => `warning ${w.code}: ${w.path || '(root)'}: ${w.advice}\n`).join('');
}

/**
 * A PROFILE_INVALID {@link CertfleetError} listing the problems (also in `details.problems`).
 * `what` names the input, e.g. "The Graph profile" or a file name.
 */
export function profileInvalidError(what: string, problems: readonly ProfileProblem[]): CertfleetError {
  const n = problems.length;
  return new CertfleetError(
    'PROFILE_INVALID',
    `${what} has ${n} problem${n === 1 ? '' : 's'}; fix ${n === 1 ? 'it' : 'them'} and load it again:\n${formatProblems(problems)}`,
    { details: { problems: problems.map((p) => ({ ...p })) } },
  );
}
