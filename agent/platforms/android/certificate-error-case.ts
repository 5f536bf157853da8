/**
 * Which case a failure met while opening a certificate (PKCS#12, X.509, validity) is, for both Android
 * tables: Android Enterprise (`ANDROID_NATIVE_CASES`, native-status.ts) and device administrator
 * (`DEVICE_ADMIN_CASES`, device-admin-status.ts) name these cases alike, so one function picks the case and
 * each table gives its native status (docs/architecture.md house rule 5). Any other code is the generic
 * `internal` case.
 */
import type { ErrorCode } from '../../../pki/errors.ts';

/** The case names a certificate-opening failure can have; each is a key of both Android tables. */
export type CertificateErrorCase =
  'pkcs12BadPassword' | 'pkcs12Parse' | 'pkcs12Unsupported' | 'certParse' | 'certExpired' | 'internal';

/** The case of a failure code met while opening a certificate (PKCS#12, X.509, validity). */
export function caseOfCertificateError(code: ErrorCode): CertificateErrorCase {
  switch (code) {
    case 'PKCS12_BAD_PASSWORD':
      return 'pkcs12BadPassword';
    case 'PKCS12_PARSE':
      return 'pkcs12Parse';
    case 'PKCS12_UNSUPPORTED':
      return 'pkcs12Unsupported';
    case 'CERT_PARSE':
      return 'certParse';
    case 'INSTALL_CERT_EXPIRED':
      return 'certExpired';
    default:
      return 'internal';
  }
}
