/**
 * The one way protocol/scep/ raises an error: a CertfleetError whose `details.failInfo` is the RFC 8894
 * §3.2.1.4 failInfo a SCEP server answers for it (badMessageCheck for a message it cannot read or trust,
 * badAlg for an algorithm it does not implement…), so the server maps every error to a CertRep FAILURE in
 * one place (simulator/service/scep/responder.ts). Messages never carry a challenge password or a key.
 */
import { CertfleetError, type ErrorCode } from '../../pki/errors.ts';
import type { FailInfo } from './oids.ts';

export function scepError(
  code: ErrorCode,
  failInfo: FailInfo,
  message: string,
  opts: { cause?: unknown; details?: Record<string, unknown> } = {},
): CertfleetError {
  return new CertfleetError(code, message, {
    cause: opts.cause,
    details: { ...opts.details, failInfo },
  });
}

/** The failInfo an error carries (badRequest when it carries none: the server refuses what it cannot place). */
export function failInfoOf(e: unknown): FailInfo {
  const d = (e as { details?: { failInfo?: unknown } }).details;
  const f = d?.failInfo;
  return f === 'badAlg' || f === 'badMessageCheck' || f === 'badTime' || f === 'badCertId' ? f : 'badRequest';
}
