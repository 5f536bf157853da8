/**
 * How the Windows codecs report what is wrong with a message: a {@link CertfleetError} whose details name the
 * element path (and line/column for XML that is not well-formed), the CmdID concerned and the SyncML status a
 * device would answer with (docs/formats.md §2.2, docs/errors.md §1.1), so that the agent maps problems to statuses in one
 * place.
 */
import { CertfleetError } from '../../pki/errors.ts';

/** Facts attached to a SyncML problem (all optional; never secrets). */
export interface SyncmlProblemDetails {
  /** Element path such as `SyncML/SyncBody/Atomic[1]/Add[2]/Item[1]/Target/LocURI`. */
  path?: string;
  line?: number;
  column?: number;
  /** CmdID of the command the problem belongs to, when known. */
  cmdId?: number;
  /** The SyncML status code a device answers this problem with. */
  status?: number;
  /** The LocURI concerned. */
  locUri?: string;
}

/** Makes a SYNCML_PARSE or SYNCML_INVALID error carrying {@link SyncmlProblemDetails}. */
export function syncmlProblem(
  code: 'SYNCML_PARSE' | 'SYNCML_INVALID',
  message: string,
  details: SyncmlProblemDetails = {},
  cause?: unknown,
): CertfleetError {
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) if (v !== undefined) clean[k] = v;
  return new CertfleetError(code, message, { details: clean, cause });
}
