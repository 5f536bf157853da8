/**
 * One function picks the case of a certificate-opening failure for both Android tables
 * (agent/platforms/android/certificate-error-case.ts): the case it picks carries the same code in the Android
 * Enterprise table and in the device-administrator table, and anything else is `internal`.
 */
import { describe, expect, it } from 'vitest';
import { caseOfCertificateError } from '../../../agent/platforms/android/certificate-error-case.ts';
import { DEVICE_ADMIN_CASES } from '../../../agent/platforms/android/device-admin-status.ts';
import { ANDROID_NATIVE_CASES } from '../../../agent/platforms/android/native-status.ts';
import type { ErrorCode } from '../../../pki/errors.ts';

const CERTIFICATE_CODES: readonly ErrorCode[] = [
  'PKCS12_BAD_PASSWORD',
  'PKCS12_PARSE',
  'PKCS12_UNSUPPORTED',
  'CERT_PARSE',
  'INSTALL_CERT_EXPIRED',
];

describe('caseOfCertificateError', () => {
  it.each(CERTIFICATE_CODES)('%s → a case of that code in both Android tables', (code) => {
    const name = caseOfCertificateError(code);
    expect(name).not.toBe('internal');
    expect(ANDROID_NATIVE_CASES[name].code).toBe(code);
    expect(DEVICE_ADMIN_CASES[name].code).toBe(code);
  });

  it('gives each certificate code its own case', () => {
    expect(new Set(CERTIFICATE_CODES.map(caseOfCertificateError)).size).toBe(CERTIFICATE_CODES.length);
  });

  it.each(['INSTALL_NOT_ALLOWED', 'SYNCML_PARSE', 'INTERNAL'] as const)('%s → internal', (code) => {
    expect(caseOfCertificateError(code)).toBe('internal');
    expect(ANDROID_NATIVE_CASES.internal.code).toBe('INTERNAL');
    expect(DEVICE_ADMIN_CASES.internal.code).toBe('INTERNAL');
  });
});
