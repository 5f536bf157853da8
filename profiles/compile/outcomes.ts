/**
 * Why a profile cannot be compiled for a device: the typed outcomes of {@link resolveRequest} and
 * {@link compileProfile} (docs/architecture.md house rule 4: install outcomes are values, not exceptions).
 *
 * - `MissingVariable`, `VariableNotAllowed`, `InvalidTemplate` — passed through unchanged from the
 *   variable resolver (profiles/variables/resolve-template.ts; docs/formats.md §5.1, §5.2 "Missing variable").
 * - `ValidationError` — the profile cannot apply to this device or cannot be compiled as given (another
 *   platform, a subject that is not a distinguished name, a PKCS profile without an issued identity…).
 */
import type { ErrorCode } from '../../pki/errors.ts';
import type { ProfileProblem } from '../model/problem.ts';
import type { ResolveFailure } from '../variables/resolve-template.ts';

/** The profile cannot be compiled as given for this device. */
export interface ValidationError {
  kind: 'ValidationError';
  code: Extract<ErrorCode, 'PROFILE_INVALID' | 'DN_SYNTAX' | 'USAGE'>;
  /** Model path of the setting at fault (`''` for the profile as a whole). */
  path: string;
  /** A sentence a person can act on. */
  message: string;
  problems?: ProfileProblem[];
}

/** Every outcome that stops compilation. */
export type CompileFailure = ResolveFailure | ValidationError;

/** Builds a {@link ValidationError}. */
export function validationError(
  code: ValidationError['code'],
  path: string,
  message: string,
  problems?: ProfileProblem[],
): ValidationError {
  return { kind: 'ValidationError', code, path, message, ...(problems !== undefined && { problems }) };
}
