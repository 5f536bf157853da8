/**
 * The events the Intune Certificate Connector logs for SCEP (C2, "Intune Certificate Connector events and
 * diagnostic codes"): the CRP verifies each request's challenge (20500 success, 20501 rejected, 20502
 * failed), then notifies after the CA answered (20600 success, 20602 failure). The diagnostic codes are C2's;
 * the mapping of a reused or mismatched challenge to 20502 with 0x0FFFFFFF is inferred (C2 lists no
 * diagnostic code for them).
 */
import type { ErrorCode } from '../../../pki/errors.ts';

export interface ConnectorEvent {
  eventId: 20500 | 20501 | 20502 | 20600 | 20602;
  name: string;
  diagnosticCode: string;
  diagnosticName: string;
  transactionId: string;
  at: string;
  /** certfleet's error code for a failure. */
  code?: ErrorCode;
  deviceId?: string;
  profileId?: string;
  serial?: string;
}

const NAMES = {
  20500: 'CRPVerifyMetric_Success',
  20501: 'CRPVerifyMetric_Warning',
  20502: 'CRPVerifyMetric_Failure',
  20600: 'CRPNotifyMetric_Success',
  20602: 'CRPNotifyMetric_Failure',
} as const;

const DIAGNOSTICS: Readonly<Record<string, [string, string]>> = {
  OK: ['0x00000000', 'Success'],
  SCEP_CHALLENGE_INVALID: ['0x00000410', 'CRPSCEPDeserialize_Failed'],
  SCEP_CHALLENGE_EXPIRED: ['0x00000411', 'CRPSCEPChallenge_Expired'],
};
const UNKNOWN: [string, string] = ['0x0FFFFFFF', 'Unknown_Error'];

/** The verify-step event for a challenge check outcome (undefined code = success). */
export function verifyEvent(
  code: ErrorCode | undefined,
  base: Omit<ConnectorEvent, 'eventId' | 'name' | 'diagnosticCode' | 'diagnosticName'>,
): ConnectorEvent {
  const eventId = code === undefined ? 20500 : code === 'SCEP_CHALLENGE_EXPIRED' ? 20501 : 20502;
  const [diagnosticCode, diagnosticName] = DIAGNOSTICS[code ?? 'OK'] ?? UNKNOWN;
  return { eventId, name: NAMES[eventId], diagnosticCode, diagnosticName, ...base, ...(code && { code }) };
}

/** The notify-step event after the CA answered (undefined code = issued). */
export function notifyEvent(
  code: ErrorCode | undefined,
  base: Omit<ConnectorEvent, 'eventId' | 'name' | 'diagnosticCode' | 'diagnosticName'>,
): ConnectorEvent {
  const eventId = code === undefined ? 20600 : 20602;
  const [diagnosticCode, diagnosticName] = code === undefined ? ['0x00000000', 'Success'] : UNKNOWN;
  return { eventId, name: NAMES[eventId], diagnosticCode, diagnosticName, ...base, ...(code && { code }) };
}
