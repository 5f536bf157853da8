/**
 * The ONE place where Windows outcome codes become native statuses (docs/architecture.md house rule 5): the SyncML status of the
 * command, the value of `PFXCertInstall/{id}/Status` (GetLastError after PFXImportCertStore) and the Intune
 * code (0x87D10000 + SyncML status).
 *
 * Sources are the rows of docs/errors.md §1 (S1 = OMADM status table, S2 = CCI, S3 = winerror.h,
 * S4 = RCA, S5/S6 = Intune tables), each with the confidence label it has there. Choices certfleet made where
 * the docs are silent are marked **[certfleet]**.
 *
 * CSP Status value format (docs/errors.md §5.1 — undocumented): certfleet reports GetLastError's DWORD as it is,
 * in `0x%08X` form. GetLastError returns Win32 errors unwrapped, so a wrong password is ERROR_INVALID_PASSWORD
 * = 86 → `0x00000056` (not HRESULT_FROM_WIN32's 0x80070056); crypto failures are already HRESULT-shaped DWORDs
 * (`0x80092002`). The Status node itself is an int (sint32 in the WMI bridge class
 * MDM_ClientCertificateInstall_PFXCertInstall01_01), so a Get returns the signed decimal of the same DWORD
 * ({@link statusNodeValue}).
 */
import type { NativeStatus, OutcomeCode } from '../../../protocol/wire/outcome.ts';

/** The Win32 / HRESULT values this adapter reports (values and texts: winerror.h, docs/errors.md §1.2 S3). */
export const WIN32 = {
  /** The operation completed successfully. */
  ERROR_SUCCESS: 0x00000000,
  /** "The specified network password is not correct." (docs/errors.md §1.2 row "Wrong PFX password"; observed via .NET.) */
  ERROR_INVALID_PASSWORD: 0x00000056,
  /** "An error occurred during encode or decode operation." (§1.2 "Corrupt or non-PFX blob"; observed at API level.) */
  CRYPT_E_BAD_ENCODE: 0x80092002,
  /** "ASN1 bad tag value met." (§1.2 "Corrupt ASN.1" and "EncodedCertificate is not valid X.509"; inferred for the CSP.) */
  CRYPT_E_ASN1_BADTAG: 0x8009310b,
  /** "The device that is required by this cryptographic provider is not found on this platform." (§1.2 KeyLocation=1 without TPM; inferred.) */
  NTE_DEVICE_NOT_FOUND: 0x80090035,
  /** "Keyset does not exist" (§1.2 KeyLocation=4 without ContainerName; inferred.) */
  NTE_BAD_KEYSET: 0x80090016,
  /** "The requested operation is not supported." (§1.2 PFXKeyExportable with KeyLocation≠3; inferred. certfleet also uses it for a key size the KSP cannot hold.) */
  NTE_NOT_SUPPORTED: 0x80090029,
  /** "Bad Data." (§1.2 alternative for corrupt key data; certfleet: a password blob that does not decrypt.) */
  NTE_BAD_DATA: 0x80090005,
  /** "Invalid algorithm specified." **[certfleet]** winerror.h value; docs/errors.md §1.2 marks it inferred: a PFX algorithm not implemented. */
  NTE_BAD_ALGID: 0x80090008,
  /** "Cannot find the certificate and private key to use for decryption." **[certfleet]** winerror.h; docs/errors.md §1.2 marks it inferred: the password is encrypted to another certificate. */
  CRYPT_E_NO_DECRYPT_CERT: 0x8009200c,
  /** "The permissions on this certification authority do not allow the current user to enroll for certificates." **[inferred]** for a SCEP FAILURE (winerror.h, S3). */
  CERTSRV_E_ENROLL_DENIED: 0x80094011,
  /** "A connection with the server could not be established" **[inferred]** for an unreachable SCEP server (winerror.h, S3). */
  WININET_E_CANNOT_CONNECT: 0x80072efd,
  /** "The data necessary to complete this operation is not yet available." **[inferred]** for a SCEP request still pending after RetryCount polls (winerror.h, S3). */
  E_PENDING: 0x8000000a,
  /** "A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider." **[inferred]** for a SCEP server whose CA does not match CAThumbprint (winerror.h, S3). */
  CERT_E_UNTRUSTEDROOT: 0x800b0109,
  /** "Catastrophic failure" **[certfleet]** for a SCEP enrolment that failed inside certfleet (a bug: INTERNAL) (winerror.h, S3). */
  E_UNEXPECTED: 0x8000ffff,
  /** "Operation aborted" **[inferred]** for a SCEP enrolment a device restart cut off (winerror.h, S3). */
  E_ABORT: 0x80004004,
} as const;

/** A Win32/HRESULT name of {@link WIN32}. */
export type Win32Name = keyof typeof WIN32;

/** How one outcome code shows natively on Windows. */
export interface WindowsNativeRow {
  /** SyncML status of the command that carried the payload (docs/errors.md §1.1). */
  syncml: number;
  /** The Status node's GetLastError value, when the CSP has one for this case. */
  csp?: Win32Name;
  /** Where the row comes from, with docs/errors.md's confidence label. */
  source: string;
}

/**
 * Outcome code → native status. Rows not listed (codes another platform uses) fall back to SyncML 500
 * ("generic failure… when the DPU can't map the originating error code", S1).
 */
export const WINDOWS_NATIVE_TABLE = {
  OK: { syncml: 200, csp: 'ERROR_SUCCESS', source: 'S1 200 documented' },
  UNCHANGED: {
    syncml: 200,
    csp: 'ERROR_SUCCESS',
    // trusted-cert-apply.ts overrides it with 418 for an Add of a RootCATrustedCertificates node that already
    // holds the certificate (S1 418 "Add of a node that already exists"; no Intune code: installed)
    source: '[certfleet] issue 4: duplicate delivery is idempotent success',
  },
  INSTALL_UNTRUSTED_CHAIN: {
    syncml: 200,
    csp: 'ERROR_SUCCESS',
    source: '[certfleet] the store does not validate chains at import: installed, trusted=false',
  },
  INSTALL_CERT_EXPIRED: {
    syncml: 200,
    csp: 'ERROR_SUCCESS',
    source:
      '[certfleet] CertAddCertificateContextToStore/PFXImportCertStore do not check validity: installed, trusted=false',
  },
  CERT_PARSE: {
    syncml: 500,
    csp: 'CRYPT_E_ASN1_BADTAG',
    source: 'docs/errors.md §1.2 "EncodedCertificate is not valid base64/X.509" (inferred)',
  },
  PKCS12_PARSE: {
    syncml: 500,
    csp: 'CRYPT_E_BAD_ENCODE',
    source: 'docs/errors.md §1.2 "Corrupt or non-PFX blob" (observed API level; CSP inferred)',
  },
  PKCS12_BAD_PASSWORD: {
    syncml: 500,
    csp: 'ERROR_INVALID_PASSWORD',
    source: 'docs/errors.md §1.2 "Wrong PFX password" (code observed via .NET; Status value inferred)',
  },
  PKCS12_UNSUPPORTED: { syncml: 500, csp: 'NTE_BAD_ALGID', source: '[certfleet] winerror.h NTE_BAD_ALGID' },
  INSTALL_KSP_UNAVAILABLE: {
    syncml: 500,
    csp: 'NTE_DEVICE_NOT_FOUND',
    source: 'docs/errors.md §1.2 "KeyLocation=1 with no TPM" (behaviour documented S2, code inferred)',
  },
  INSTALL_CONTAINER_REQUIRED: {
    syncml: 500,
    csp: 'NTE_BAD_KEYSET',
    source:
      'docs/errors.md §1.2 "KeyLocation=4 without ContainerName" (behaviour documented S2, code inferred)',
  },
  INSTALL_EXPORT_NOT_ALLOWED: {
    syncml: 500,
    csp: 'NTE_NOT_SUPPORTED',
    source:
      'docs/errors.md §1.2 "PFXKeyExportable=true with KeyLocation≠3" (behaviour documented S2, code inferred)',
  },
  INSTALL_KSP_KEY_SIZE: {
    syncml: 500,
    csp: 'NTE_NOT_SUPPORTED',
    source: '[certfleet] issue 4 "4096-bit keys only in the software KSP; Windows Hello only 2048"',
  },
  INSTALL_PASSWORD_UNDECRYPTABLE: {
    syncml: 500,
    csp: 'CRYPT_E_NO_DECRYPT_CERT',
    source: '[certfleet] CCI PFXCertPasswordEncryptionType 1; winerror.h CRYPT_E_NO_DECRYPT_CERT',
  },
  INSTALL_NOT_A_CA: {
    syncml: 500,
    source:
      '[certfleet] TRUSTDOC: trusted certificate profiles deliver root/intermediate CA certificates only',
  },
  INSTALL_STORE_NOT_SUPPORTED: {
    syncml: 405,
    source: 'docs/errors.md §1.2 "./User/…/RootCATrustedCertificates/Root" (documented S4, 405 inferred)',
  },
  INSTALL_ALREADY_EXISTS: {
    syncml: 418,
    source: 'S1 418 documented; CCI "If a blob already exists, the Add operation will fail" (418 inferred)',
  },
  INSTALL_NOT_FOUND: {
    syncml: 404,
    source: 'S1 404 documented; CCI "Replace … when a certificate does not exist … will fail" (404 inferred)',
  },
  INSTALL_ROLLED_BACK: {
    syncml: 216,
    source: 'S1 216 documented; 507/500/216 shape inferred (docs/errors.md §1.1)',
  },
  SYNCML_PARSE: { syncml: 400, source: 'S1 400 "malformed syntax" documented' },
  SYNCML_INVALID: {
    syncml: 500,
    source: 'S1; the codec names the status per problem (details.status), 500 when it does not',
  },
  INTERNAL: { syncml: 500, source: 'S1 500 generic failure' },
} as const satisfies Partial<Record<OutcomeCode, WindowsNativeRow>>;

const FALLBACK: WindowsNativeRow = { syncml: 500, source: 'S1 500 generic failure' };

/** The table row for `code` (500 for a code the table does not list). */
export function nativeRow(code: OutcomeCode): WindowsNativeRow {
  return (WINDOWS_NATIVE_TABLE as Partial<Record<OutcomeCode, WindowsNativeRow>>)[code] ?? FALLBACK;
}

/** A DWORD in the `0x%08X` form used for `cspStatus`. */
export function dwordText(value: number): string {
  return `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The value a Get of `PFXCertInstall/{id}/Status` returns for a DWORD: its signed 32-bit decimal. */
export function statusNodeValue(value: number): number {
  return value | 0;
}

/** The Intune code for a SyncML status: 0x87D10000 + status (docs/errors.md §1.3 S5/S6), for failures (≥ 400). */
export function intuneCode(syncml: number): string | undefined {
  return syncml >= 400 ? dwordText(0x87d10000 + syncml) : undefined;
}

/**
 * The {@link NativeStatus} of an outcome: the table's SyncML status and CSP value unless the caller knows
 * better (`syncml` from a codec problem's `details.status`, `csp` from a more specific failure).
 */
export function windowsNative(
  code: OutcomeCode,
  override: { syncml?: number; csp?: Win32Name | null } = {},
): Extract<NativeStatus, { platform: 'windows' }> {
  const row = nativeRow(code);
  const syncml = override.syncml ?? row.syncml;
  const csp = override.csp === null ? undefined : (override.csp ?? row.csp);
  const native: Extract<NativeStatus, { platform: 'windows' }> = { platform: 'windows', syncml };
  if (csp !== undefined) native.cspStatus = dwordText(WIN32[csp]);
  // a success code with a failing status (418 UNCHANGED: the certificate is already installed) is no
  // failure to Intune, so it carries no Intune error code
  const intune = code === 'OK' || code === 'UNCHANGED' ? undefined : intuneCode(syncml);
  if (intune !== undefined) native.intune = intune;
  return native;
}

/**
 * The `SCEP/{UniqueID}/ErrorCode` value (an HRESULT, CCI) of a failed background SCEP enrolment, per
 * outcome code (**[inferred]**: CCI names the node, not its values; the HRESULTs are winerror.h's closest).
 * The KSP codes keep the PFX rows' values; a code not listed reports CERTSRV_E_ENROLL_DENIED (the CA side
 * refused it, as far as the device can tell).
 */
export const SCEP_ERROR_CODE = {
  SCEP_REQUEST_FAILED: 'CERTSRV_E_ENROLL_DENIED',
  SCEP_RENEWAL_REFUSED: 'CERTSRV_E_ENROLL_DENIED',
  SCEP_HTTP: 'WININET_E_CANNOT_CONNECT',
  SCEP_PENDING: 'E_PENDING',
  SCEP_MESSAGE_INVALID: 'CRYPT_E_BAD_ENCODE',
  SCEP_NOT_RECIPIENT: 'CRYPT_E_NO_DECRYPT_CERT',
  SCEP_UNSUPPORTED_ALGORITHM: 'NTE_BAD_ALGID',
  INSTALL_UNTRUSTED_CHAIN: 'CERT_E_UNTRUSTEDROOT',
  INSTALL_KSP_UNAVAILABLE: 'NTE_DEVICE_NOT_FOUND',
  INSTALL_KSP_KEY_SIZE: 'NTE_NOT_SUPPORTED',
  INSTALL_CONTAINER_REQUIRED: 'NTE_BAD_KEYSET',
  KEY_UNSUPPORTED: 'NTE_NOT_SUPPORTED',
  INTERNAL: 'E_UNEXPECTED',
  SCEP_ENROLMENT_INTERRUPTED: 'E_ABORT',
} as const satisfies Partial<Record<OutcomeCode, Win32Name>>;

/** The ErrorCode node's HRESULT name for a failed enrolment's code. */
export function scepErrorName(code: OutcomeCode): Win32Name {
  return (SCEP_ERROR_CODE as Partial<Record<OutcomeCode, Win32Name>>)[code] ?? 'CERTSRV_E_ENROLL_DENIED';
}
