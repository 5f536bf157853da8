/**
 * The one place where **Android device administrator** outcomes become native statuses (docs/architecture.md
 * house rule 5). Device administrator is managed over OMA-DM by the Intune Company Portal app, not by the
 * Android Management API, so it answers in SyncML status codes (docs/errors.md §1.1) and the per-device profile
 * status the Intune admin center and Company Portal show — never in AMAPI non-compliance reasons
 * (docs/errors.md §3.5, every row with its source and confidence).
 */
import type { ErrorCode } from '../../../pki/errors.ts';
import type { NativeStatus } from '../../../protocol/wire/outcome.ts';

/** The per-device profile status the Intune admin center shows (docs/errors.md §3.5). */
export type DeviceAdminConsoleStatus = 'Succeeded' | 'Error' | 'Pending' | 'Not applicable';

/** One row of {@link DEVICE_ADMIN_CASES}. */
export interface DeviceAdminCase {
  readonly code: ErrorCode | 'OK' | 'UNCHANGED';
  /** SyncML status of the command that carried the certificate (docs/errors.md §1.1). */
  readonly syncml: number;
  readonly console: DeviceAdminConsoleStatus;
  readonly confidence: 'documented' | 'observed' | 'inferred';
  /** Where the fact comes from (docs/errors.md §3.5 row). */
  readonly source: string;
}

/** Every device-administrator case (docs/errors.md §3.5). */
export const DEVICE_ADMIN_CASES = {
  installed: {
    code: 'OK',
    syncml: 200,
    console: 'Succeeded',
    confidence: 'documented',
    source: 'docs/errors.md §1.1 200 OK (OMADM); admin center "Succeeded" (docs/errors.md §3.5)',
  },
  unchanged: {
    code: 'UNCHANGED',
    syncml: 200,
    console: 'Succeeded',
    confidence: 'inferred',
    source: 'a repeated Add of the same certificate changes nothing (docs/errors.md §3.5, inferred)',
  },
  syncmlParse: {
    code: 'SYNCML_PARSE',
    syncml: 400,
    console: 'Error',
    confidence: 'inferred',
    source: 'docs/errors.md §1.1 400 bad request: malformed syntax (OMADM); mapping inferred',
  },
  unknownNode: {
    code: 'INSTALL_STORE_NOT_SUPPORTED',
    syncml: 404,
    console: 'Error',
    confidence: 'inferred',
    source:
      'docs/errors.md §1.1 404 node does not exist; CSTORE store names (docs/formats.md §2.5); inferred',
  },
  commandNotAllowed: {
    code: 'INSTALL_NOT_ALLOWED',
    syncml: 405,
    console: 'Error',
    confidence: 'inferred',
    source: 'docs/errors.md §1.1 405 command not allowed; inferred',
  },
  caOnAndroid11: {
    code: 'INSTALL_NOT_ALLOWED',
    syncml: 406,
    console: 'Error',
    confidence: 'inferred',
    source:
      'TRUSTDOC: Android 11+ device administrator cannot install roots from a trusted-certificate profile (documented); 406 optional feature not supported (inferred)',
  },
  certParse: {
    code: 'CERT_PARSE',
    syncml: 415,
    console: 'Error',
    confidence: 'inferred',
    source: 'docs/errors.md §1.1 415 unsupported type or format; inferred',
  },
  certExpired: {
    code: 'INSTALL_CERT_EXPIRED',
    syncml: 500,
    console: 'Error',
    confidence: 'inferred',
    source: 'docs/errors.md §1.1 500 command failed (generic); inferred',
  },
  pkcs12BadPassword: {
    code: 'PKCS12_BAD_PASSWORD',
    syncml: 500,
    console: 'Error',
    confidence: 'inferred',
    source: 'docs/errors.md §1.1 500 command failed (generic); inferred',
  },
  pkcs12Parse: {
    code: 'PKCS12_PARSE',
    syncml: 500,
    console: 'Error',
    confidence: 'inferred',
    source: 'docs/errors.md §1.1 500 command failed (generic); inferred',
  },
  pkcs12Unsupported: {
    code: 'PKCS12_UNSUPPORTED',
    syncml: 500,
    console: 'Error',
    confidence: 'inferred',
    source: 'docs/errors.md §1.1 500 command failed (generic); inferred',
  },
  internal: {
    code: 'INTERNAL',
    syncml: 500,
    console: 'Error',
    confidence: 'inferred',
    source: 'certfleet bug guard; docs/errors.md §1.1 500',
  },
} as const satisfies Record<string, DeviceAdminCase>;

/** One case name of {@link DEVICE_ADMIN_CASES}. */
export type DeviceAdminCaseName = keyof typeof DEVICE_ADMIN_CASES;

/** The native status of a device-administrator case: SyncML status + admin-center status, no AMAPI field. */
export function deviceAdminNative(name: DeviceAdminCaseName): NativeStatus {
  const c = DEVICE_ADMIN_CASES[name];
  return { platform: 'android', deviceAdmin: { syncml: c.syncml, console: c.console } };
}
