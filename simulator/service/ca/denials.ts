/**
 * How an AD CS enterprise CA says no: each issuance denial certfleet simulates, with the HRESULT, the
 * symbolic name and the winerror.h message text a real CA (and the Intune certificate connector's log) shows.
 *
 * Source: docs/errors.md §4.1 (winerror.h MessageText, MicrosoftDocs SupportArticles-docs
 * troubleshoot-pkcs-certificate-profiles.md@162fcc97) and §4.2 (dispositions, "Denied by Policy Module").
 */
import { CertfleetError, type ErrorCode } from '../../../pki/errors.ts';

/** A request disposition as ICertRequest::Submit returns it (certcli.h; docs/errors.md §4.2). */
export type Disposition = 'issued' | 'denied' | 'error' | 'under-submission';

/** The native facts of one denial. */
export interface DenialInfo {
  /** HRESULT, unsigned hex as Windows prints it, e.g. `0x80094800`. */
  hresult: string;
  /** Signed decimal form, as the CA console prints it beside the hex. */
  hresultDecimal: number;
  /** winerror.h symbolic name. */
  symbolic: string;
  /** winerror.h MessageText. */
  text: string;
  disposition: Disposition;
  /** "Additional information" in CA event 53 / the connector log, when the policy module denied it. */
  additional?: 'Denied by Policy Module';
  confidence: 'documented' | 'observed' | 'inferred';
}

function info(hex: number, symbolic: string, text: string, extra: Partial<DenialInfo> = {}): DenialInfo {
  return {
    hresult: `0x${hex.toString(16).toUpperCase().padStart(8, '0')}`,
    hresultDecimal: hex | 0,
    symbolic,
    text,
    disposition: 'denied',
    confidence: 'documented',
    ...extra,
  };
}

/** Every CA error code certfleet can answer with, mapped to its native form (one place: docs/architecture.md house rule 5). */
export const CA_DENIALS = {
  CA_TEMPLATE_NOT_SUPPORTED: info(
    0x80094800,
    'CERTSRV_E_UNSUPPORTED_CERT_TYPE',
    'The requested certificate template is not supported by this CA.',
    { disposition: 'error', confidence: 'observed' },
  ),
  CA_NO_TEMPLATE: info(
    0x80094801,
    'CERTSRV_E_NO_CERT_TYPE',
    'The request contains no certificate template information.',
    {
      disposition: 'error',
    },
  ),
  CA_TEMPLATE_DENIED: info(
    0x80094012,
    'CERTSRV_E_TEMPLATE_DENIED',
    'The permissions on the certificate template do not allow the current user to enroll for this type of certificate.',
    { additional: 'Denied by Policy Module', confidence: 'observed' },
  ),
  CA_KEY_LENGTH: info(
    0x80094811,
    'CERTSRV_E_KEY_LENGTH',
    'The public key does not meet the minimum size required by the specified certificate template.',
    { additional: 'Denied by Policy Module', confidence: 'observed' },
  ),
  CA_SUBJECT_EMAIL_REQUIRED: info(
    0x80094812,
    'CERTSRV_E_SUBJECT_EMAIL_REQUIRED',
    'The EMail name is unavailable and cannot be added to the Subject or Subject Alternate name.',
    { additional: 'Denied by Policy Module', confidence: 'observed' },
  ),
  CA_BAD_SUBJECT: info(
    0x80094001,
    'CERTSRV_E_BAD_REQUESTSUBJECT',
    'The request subject name is invalid or too long.',
    {
      confidence: 'observed',
    },
  ),
  // AD CS has no dedicated HRESULT for an over-long requested validity: it truncates, and since issue 12 the
  // policy module does too (policy-module.ts step 6), so this denial is no longer emitted; the code and its
  // row stay (codes are never reused). E_INVALIDARG is the connector's generic answer — inferred.
  CA_VALIDITY_TOO_LONG: info(0x80070057, 'E_INVALIDARG', 'The parameter is incorrect.', {
    confidence: 'inferred',
    additional: 'Denied by Policy Module',
  }),
  // A template request to a standalone CA. No source gives the HRESULT; CERTSRV_E_UNSUPPORTED_CERT_TYPE is
  // the one whose text fits (a standalone CA supports no template at all), where CERTSRV_E_NO_CERT_TYPE
  // ("the request contains no certificate template information") would say the opposite — inferred.
  CA_STANDALONE_NO_TEMPLATES: info(
    0x80094800,
    'CERTSRV_E_UNSUPPORTED_CERT_TYPE',
    'The requested certificate template is not supported by this CA.',
    { disposition: 'error', confidence: 'inferred' },
  ),
  // No longer emitted: the CA does not check the template's export flag (CT_FLAG_EXPORTABLE_KEY is an
  // instruction to the client, MS-CRTD 2.27), so the failure is the connector's (CONNECTOR_KEY_NOT_EXPORTABLE).
  // The code and its row stay (codes are never reused).
  CA_KEY_NOT_EXPORTABLE: info(
    0x8009400a,
    'CERTSRV_E_KEY_ARCHIVAL_NOT_CONFIGURED',
    'Cannot archive private key. The certification authority is not configured for key archival.',
    { confidence: 'inferred' },
  ),
  // The template does not allow the private key to be exported (Request Handling; PFXDOC requires it for
  // PKCS): the connector makes its key under the template's export policy (CT_FLAG_EXPORTABLE_KEY, "instructs
  // the client to allow other applications to copy the private key to a .pfx file", MS-CRTD 2.27), the CA
  // issues, and the export into the PFX fails. NTE_BAD_KEY_STATE is CryptoAPI's answer to exporting a key not
  // marked exportable (winerror.h); that the connector reports it is inferred. The CA's disposition: issued.
  CONNECTOR_KEY_NOT_EXPORTABLE: info(
    0x8009000b,
    'NTE_BAD_KEY_STATE',
    'Key not valid for use in specified state.',
    { disposition: 'issued', confidence: 'inferred' },
  ),
  // The connector never reaches a CA: the profile's certificationAuthority / certificationAuthorityName name
  // no CA it can talk to. PKCSTS (docs/errors.md §4.1): "RPC server is unavailable 0x800706ba"; the value is
  // HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE 1722) (S3). No request reaches a CA, so no disposition.
  CA_UNAVAILABLE: info(0x800706ba, 'RPC_S_SERVER_UNAVAILABLE', 'The RPC server is unavailable.', {
    disposition: 'error',
  }),
  // A certificate manager denied a held request, or a policy module set to deny refused it. The value and
  // text are winerror.h's (S3); that the connector reports this one for a policy-module deny is inferred.
  CA_REQUEST_DENIED: info(
    0x80094014,
    'CERTSRV_E_ADMIN_DENIED_REQUEST',
    'The request was denied by a certificate manager or CA administrator.',
    { confidence: 'inferred' },
  ),
  // A SAN of type e-mail for a user without e-mail reaches the connector null, and the connector fails with
  // "0x80070057 The parameter is incorrect" (PKCSTS, docs/errors.md §4.1, C1). The request never reaches the CA.
  CONNECTOR_EMPTY_SAN: info(0x80070057, 'E_INVALIDARG', 'The parameter is incorrect.', {
    disposition: 'error',
  }),
  // A DNS, e-mail or URI SAN is an IA5String (RFC 5280 §4.2.1.6): encoding one that holds a character outside
  // 7-bit ASCII fails in CryptEncodeObject with CRYPT_E_INVALID_IA5_STRING (learn.microsoft.com, X509_ALTERNATE_NAME
  // encoding; winerror.h). That the connector reports this value when it builds the request is inferred.
  CONNECTOR_SAN_NOT_IA5: info(
    0x80092022,
    'CRYPT_E_INVALID_IA5_STRING',
    'The string contains a character not in the 7 bit ASCII character set.',
    { disposition: 'error', confidence: 'inferred' },
  ),
  // The connector's SID setting is on (EnableSidSecurityExtension, PFXDOC) and the request has no SID to put in
  // the extension: the connector cannot build it and the request never reaches the CA. No document names the
  // result; the CertEnroll failure a connector logged while building the SID extension is E_POINTER 0x80004003
  // "Invalid pointer" (HICKS, docs/formats.md §5.3) — that this case produces it is inferred.
  CONNECTOR_SID_UNAVAILABLE: info(0x80004003, 'E_POINTER', 'Invalid pointer', {
    disposition: 'error',
    confidence: 'inferred',
  }),
} as const satisfies Partial<Record<ErrorCode, DenialInfo>>;

/** A CA error code that has a native denial form. */
export type CaDenialCode = keyof typeof CA_DENIALS;

/**
 * Builds the error for a denial: message in the CA console's own words (event 53 shape), native facts in
 * `details` so reports can show the HRESULT.
 */
export function denial(code: CaDenialCode, reason: string, requestFor: string): CertfleetError {
  const d: DenialInfo = CA_DENIALS[code];
  const extra = d.additional ? ` Additional information: ${d.additional}` : '';
  return new CertfleetError(
    code,
    `${reason} — ${d.text} ${d.hresult} (${d.hresultDecimal} ${d.symbolic}). The request was for ${requestFor}.${extra}`,
    { details: { ...d, reason } },
  );
}
