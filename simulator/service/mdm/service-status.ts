/**
 * What the MDM service reports for one device × profile (the status the Intune admin center shows per
 * device), beside the CA's HRESULT and the device's native status — issue 12 point 3. Values and texts are
 * docs/errors.md §1.3 (S5, S6) and §2.2 (A2); how sure each mapping is, is in `confidence`.
 *
 * - A PKCS request the connector or the CA refused (or holds): no PFX reached the device, so the service shows
 *   0x87D1FDF4 "No pfx certificate found to install on the device" (the code is observed, S6; that a CA or
 *   connector failure shows it is inferred).
 * - Windows: 0x87D10000 + the SyncML status of the command (docs/errors.md §1.3; formula inferred over the
 *   documented table, the values themselves documented).
 * - Apple: 0x87D10000 + 10000 + the innermost MC error code (docs/errors.md §2.2, A2; formula inferred).
 * - Android: AMAPI reports no numeric status (docs/errors.md §5.5): none.
 */
import type { NativeStatus } from '../../../protocol/wire/outcome.ts';
import type { ErrorCode } from '../../../pki/errors.ts';
import { CA_DENIALS, type DenialInfo } from '../ca/denials.ts';

/** One status as the service shows it. */
export interface ServiceStatus {
  /** Unsigned hex, eight digits: `0x87D1FDF4`. */
  hex: string;
  /** Signed 32-bit decimal, as the admin center prints it. */
  decimal: number;
  text: string;
  confidence: 'documented' | 'observed' | 'inferred';
}

/** The CA's (or connector's) answer, as report.json and run.db carry it. */
export type CaStatus = Pick<
  DenialInfo,
  'hresult' | 'hresultDecimal' | 'symbolic' | 'text' | 'disposition' | 'confidence'
>;

const hex = (n: number): string => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
const status = (n: number, text: string, confidence: ServiceStatus['confidence']): ServiceStatus => ({
  hex: hex(n),
  decimal: n | 0,
  text,
  confidence,
});

/** docs/errors.md §1.3: "No pfx certificate found to install on the device". */
export const NO_PFX_FOUND: ServiceStatus = status(
  0x87d1fdf4,
  'No pfx certificate found to install on the device',
  'inferred',
);

/** Codes a connector or CA answers with (the request never gave the device a PFX). */
const ISSUANCE_CODES: ReadonlySet<string> = new Set([
  ...Object.keys(CA_DENIALS),
  'SUBJECT_ESCAPED_CHARS',
  'CA_REQUEST_PENDING',
  'CA_REQUEST_PENDING_TIMEOUT',
]);

/** The CA / connector facts of an outcome's native value, when it carries them (denials.ts). */
export function caStatusOf(native: unknown): CaStatus | undefined {
  if (typeof native !== 'object' || native === null) return undefined;
  const n = native as Record<string, unknown>;
  if (typeof n['hresult'] !== 'string' || typeof n['symbolic'] !== 'string') return undefined;
  return {
    hresult: n['hresult'],
    hresultDecimal:
      typeof n['hresultDecimal'] === 'number' ? n['hresultDecimal'] : Number.parseInt(n['hresult'], 16) | 0,
    symbolic: n['symbolic'],
    text: typeof n['text'] === 'string' ? n['text'] : '',
    disposition: (n['disposition'] as DenialInfo['disposition']) ?? 'error',
    confidence: (n['confidence'] as DenialInfo['confidence']) ?? 'inferred',
  };
}

/**
 * The status the service reports for an outcome, or undefined when it reports none (installed, or a
 * platform without numeric statuses).
 *
 * @example
 * serviceStatusOf({ status: 'failed', code: 'CA_UNAVAILABLE' }) // → 0x87D1FDF4 "No pfx certificate found…"
 */
export function serviceStatusOf(o: {
  status: string;
  code: ErrorCode | string;
  native?: NativeStatus;
}): ServiceStatus | undefined {
  if (o.status === 'installed' || o.status === 'skipped') return undefined;
  if (ISSUANCE_CODES.has(o.code)) return NO_PFX_FOUND;
  const n = o.native;
  if (n?.platform === 'windows' && n.syncml >= 400) {
    return status(0x87d10000 + n.syncml, `Syncml(${n.syncml})`, 'documented');
  }
  if ((n?.platform === 'macos' || n?.platform === 'ios') && n.errorChain.length > 0) {
    const inner = n.errorChain[n.errorChain.length - 1]!;
    return status(
      0x87d10000 + 10000 + inner.ErrorCode,
      `${inner.ErrorDomain} ${inner.ErrorCode}`,
      'inferred',
    );
  }
  return undefined;
}
