/**
 * The project's one closed list of error codes, and the error type that carries them (docs/architecture.md house rule 5).
 *
 * Every failure certfleet reports — a CLI usage error, a PKCS#12 with the wrong password, a CA denial, a
 * missing certificate variable, a payload a device refuses — carries one of these codes. Codes are stable:
 * tests, reports and QA tooling match on them, so rename nothing; add new codes to the section they belong
 * to. Native statuses (SyncML, HRESULT, Apple ErrorChain…) are mapped from these codes in one place per
 * wire format, never scattered through the code.
 */
export const ERROR_CODES = {
  // --- general / CLI -------------------------------------------------------------------------------
  USAGE: 'The command line is wrong: an unknown option, a missing argument or a bad value.',
  IO: 'A file or folder could not be read or written.',
  INTERNAL: 'An unexpected internal error (a bug in certfleet).',
  DEVICE_FILE_INVALID: 'A device file is not JSON, or not a device as certfleet device new --json prints it.',

  // --- pki/ -----------------------------------------------------------------------------------------
  KEY_UNSUPPORTED: 'The key algorithm or size is not supported.',
  KEY_PARSE: 'A private or public key could not be parsed.',
  DN_SYNTAX: 'A distinguished name does not follow RFC 4514.',
  CERT_PARSE: 'An X.509 certificate could not be parsed (bad DER/PEM, truncated, wrong tag).',
  CSR_PARSE: 'A certificate signing request could not be parsed.',
  CSR_BAD_SIGNATURE: 'The signature on a certificate signing request does not verify.',
  PKCS12_PARSE: 'A PKCS#12 (PFX) blob is corrupt or not a PKCS#12 at all.',
  PKCS12_BAD_PASSWORD: 'The PKCS#12 password is wrong (the MAC or the decryption fails).',
  PKCS12_UNSUPPORTED: 'The PKCS#12 uses an algorithm this simulator does not implement.',
  CHAIN_INCOMPLETE: 'No issuer for a certificate in the chain could be found.',
  CHAIN_UNTRUSTED: 'The chain does not lead to a trusted root.',
  CHAIN_BAD_SIGNATURE: 'A certificate signature in the chain does not verify.',
  CHAIN_EXPIRED: 'A certificate in the chain has expired at the evaluation time.',
  CHAIN_NOT_YET_VALID: 'A certificate in the chain is not yet valid at the evaluation time.',
  CHAIN_NOT_CA: 'An issuer in the chain is not a CA (basic constraints).',
  CRL_PARSE: 'A CRL could not be parsed.',
  CERT_BAD_INPUT:
    'A certificate, CSR or CRL cannot be built from the given values (serial, dates, SAN, EKU…).',

  // --- simulator/service/ca (AD CS) -----------------------------------------------------------------
  CA_NOT_FOUND: 'No certification authority exists in the given folder.',
  CA_EXISTS: 'A certification authority already exists in the given folder.',
  CA_CORRUPT: 'The certification authority folder is damaged or incomplete.',
  CA_PASSPHRASE:
    'The CA folder\u2019s private keys are encrypted and the passphrase is missing or wrong (ca init --passphrase-env).',
  CA_TEMPLATE_NOT_SUPPORTED:
    'CERTSRV_E_UNSUPPORTED_CERT_TYPE 0x80094800: the template is not published on this CA.',
  CA_NO_TEMPLATE: 'CERTSRV_E_NO_CERT_TYPE 0x80094801: the request names no certificate template.',
  CA_TEMPLATE_DENIED: 'CERTSRV_E_TEMPLATE_DENIED 0x80094012: Denied by Policy Module (no Enroll permission).',
  CA_KEY_LENGTH: 'CERTSRV_E_KEY_LENGTH 0x80094811: the key is smaller than the template minimum.',
  CA_SUBJECT_EMAIL_REQUIRED: 'CERTSRV_E_SUBJECT_EMAIL_REQUIRED 0x80094812: the e-mail name is unavailable.',
  CA_BAD_SUBJECT: 'CERTSRV_E_BAD_REQUESTSUBJECT 0x80094001: the request subject is invalid or too long.',
  CA_VALIDITY_TOO_LONG: 'The requested validity exceeds what the template or the issuing CA allows.',
  CA_STANDALONE_NO_TEMPLATES: 'A standalone (non-enterprise) CA does not use certificate templates.',
  CA_KEY_NOT_EXPORTABLE:
    'No longer emitted (CONNECTOR_KEY_NOT_EXPORTABLE): the template does not allow private-key export, which server-side (PKCS) issuance needs.',
  CA_SERIAL_NOT_FOUND: 'No certificate with that serial number was issued by this CA.',
  CA_ALREADY_REVOKED: 'The certificate is already revoked.',
  CA_UNAVAILABLE:
    'RPC_S_SERVER_UNAVAILABLE 0x800706BA: the connector cannot reach the CA the profile names (wrong FQDN or CA name).',
  CA_REQUEST_PENDING:
    'CR_DISP_UNDER_SUBMISSION: the CA holds the request for a certificate manager (the submission is pending).',
  CA_REQUEST_DENIED:
    'CERTSRV_E_ADMIN_DENIED_REQUEST 0x80094014: the request was denied by a certificate manager or the policy module.',
  CA_REQUEST_PENDING_TIMEOUT:
    'A request the CA held was neither issued nor denied in time; the connector gave up on it.',
  CONNECTOR_EMPTY_SAN:
    'E_INVALIDARG 0x80070057: the request reached the connector with an empty SAN (an e-mail SAN for a user without e-mail).',
  CONNECTOR_KEY_NOT_EXPORTABLE:
    'NTE_BAD_KEY_STATE 0x8009000B: the template does not allow private-key export (Request Handling), so the connector cannot export the key it made into the PFX; the CA issued the certificate, which never reaches the device.',
  CONNECTOR_SAN_NOT_IA5:
    'CRYPT_E_INVALID_IA5_STRING 0x80092022: a DNS, e-mail or URI SAN of the request holds a character outside 7-bit ASCII (a device name such as Tim\u2019s iPhone in a DNS SAN), which the connector cannot encode.',
  PFX_IMPORT_INVALID:
    'A user PFX cannot be imported: unknown purpose, a user name that is not a UPN, or a PFX without a key and its certificate.',
  PFX_NOT_IMPORTED:
    'The user has no imported PFX for the profile\u2019s intended purpose, so the PFX connector has nothing to deliver.',
  PFX_TENANT_KEY:
    'The PFX connector cannot decrypt an imported PFX\u2019s password: the tenant key is missing, unreadable, or not the key the password was encrypted to.',
  CONNECTOR_SID_UNAVAILABLE:
    'The connector adds the KB5014754 SID extension, but the user (or the Windows device) has no on-premises SID in Entra ID.',

  // --- profiles/ ------------------------------------------------------------------------------------
  PROFILE_INVALID: 'A profile setting is missing, of the wrong type, or out of range.',
  GRAPH_UNSUPPORTED_TYPE: 'The Graph JSON @odata.type is not a certificate profile certfleet models.',
  GRAPH_PARSE: 'The Graph JSON could not be parsed.',
  VARIABLE_MISSING: 'The device cannot supply a certificate variable the profile uses.',
  VARIABLE_UNKNOWN: 'A {{variable}} is not one of the documented Intune certificate variables.',
  VARIABLE_NOT_ALLOWED: 'A variable is not allowed here (certificate type, platform or SAN attribute).',
  PROFILE_SETTING_UNUSED:
    'A profile setting no component of the run acts on (a warning that never fails the profile).',
  VARIABLE_ADVISORY:
    'A variable is allowed but documented as risky where it is used (a warning that never fails the profile).',
  PROFILE_ADVISORY:
    'A setting Graph accepts but documented as risky (validity under 5 days): a warning at import, never a refusal.',
  TEMPLATE_MALFORMED:
    'A subject or SAN template is malformed (single braces, a forbidden character after a variable…).',
  SUBJECT_ESCAPED_CHARS:
    'The subject carries an escaped special character (\\+ \\, \\; \\=), a known Intune issue.',
  PLIST_PARSE: 'The .mobileconfig is not a well-formed property list.',
  APPLE_MDM_RESPONSE_INVALID:
    'An Apple MDM command response breaks the protocol (Status, CommandUUID, ErrorChain).',
  MOBILECONFIG_INVALID:
    'The .mobileconfig breaks Apple\u2019s profile schema (a key missing, of the wrong type or value).',
  SYNCML_PARSE: 'The SyncML message is not well-formed XML.',
  SYNCML_INVALID: 'The SyncML message breaks the OMA-DM or CSP rules.',
  ANDROID_POLICY_PARSE: 'The Android policy is not valid JSON.',
  ANDROID_POLICY_INVALID: 'The Android policy breaks the ONC / device-policy rules.',

  // --- simulator/scenario ---------------------------------------------------------------------------
  SCENARIO_PARSE: 'The scenario file is not well-formed YAML (the message gives the line and column).',
  SCENARIO_INVALID:
    'The scenario breaks the scenario format (each problem listed with its line and key path).',

  // --- simulator/tools/key-pool (certfleet keys make, run --key-pool) ------------------------------
  KEY_POOL_PASSPHRASE_MISSING:
    'CERTFLEET_KEY_POOL_PASSPHRASE is not set: a key pool is encrypted with it and cannot be made or read without it.',
  KEY_POOL_PASSPHRASE_WRONG:
    'The key pool passphrase is wrong: the pool\u2019s check value does not decrypt with it.',
  KEY_POOL_INVALID:
    'The folder holds no key pool, or its file is damaged (not a certfleet key pool, or a key that fails authentication).',

  // --- pki/pkcs12-pool (the issuance pool) ----------------------------------------------------------
  ISSUE_POOL_FAILED:
    'The issuance pool could not run a PKCS#12 build: a worker thread failed to start or died, or the pool was closed first.',

  // --- simulator/service/mdm (enrollment restrictions, delivery) -----------------------------------
  ENROLL_PLATFORM_BLOCKED:
    'An enrollment restriction blocks this platform (or this enrollment kind / ownership).',
  ENROLL_OS_TOO_OLD:
    'The device OS version is below the minimum an enrollment restriction sets for its platform.',
  ENROLL_DEVICE_LIMIT: 'The user already enrolled as many devices as the device limit restriction allows.',
  DELIVERY_NOT_SENT:
    'The profile is assigned to the device but nothing was sent to it by the end of the run; it stays pending.',
  CERTIFICATE_NOT_ISSUED:
    'No certificate connector issued the certificate (or, for an imported PFX, opened it) by the end of the run: nothing was sent to the device; the profile stays pending.',
  DELIVERY_NO_ANSWER:
    'The payload was sent and the device has not answered it (by the end of the run, or after every retry); the profile stays pending.',
  DEVICE_NEVER_ENROLLED:
    'A device of the fleet never enrolled by the end of the run: each profile targeting it stays pending.',
  DEVICE_NO_ANSWER:
    'A device enrolled but answered none of its profiles by the end of the run: each stays pending.',
  NOT_APPLICABLE:
    'The profile does not apply to this device (a profile of another platform or enrollment kind, or a user certificate on a device without a user); nothing is sent.',

  // --- agent/ (what a device answers when it installs, refuses or renews) ----------------------------
  INSTALL_UNTRUSTED_CHAIN: 'The certificate does not chain to a root the device trusts.',
  INSTALL_KEY_ALIAS_MISSING:
    'A Wi-Fi network of the policy names a client-certificate key-pair alias that no installed key has.',
  INSTALL_CERT_EXPIRED: 'The certificate has expired (or is not yet valid) on the device clock.',
  INSTALL_NOT_A_CA: 'A trusted-certificate payload carries a certificate that is not a CA.',
  INSTALL_STORE_NOT_SUPPORTED:
    'The target store does not exist for that scope (e.g. ./User RootCATrustedCertificates/Root).',
  INSTALL_KSP_UNAVAILABLE:
    'The key storage provider the payload requires is not available on this device (no TPM, no Windows Hello).',
  INSTALL_KSP_KEY_SIZE:
    'The key storage provider cannot hold a key of this size (4096-bit keys only in the software KSP; Windows Hello only 2048).',
  INSTALL_CONTAINER_REQUIRED: 'Windows Hello for Business needs a ContainerName, and none was given.',
  INSTALL_EXPORT_NOT_ALLOWED: 'PFXKeyExportable=true is only allowed with the software KSP (KeyLocation 3).',
  INSTALL_PASSWORD_UNDECRYPTABLE: 'The PFX password is encrypted to a certificate this device does not hold.',
  INSTALL_KEY_USAGE_REFUSED:
    'The platform refuses the certificate\u2019s key usage (iOS: no nonRepudiation).',
  INSTALL_ALREADY_EXISTS: 'The node or item already exists and the command may not replace it.',
  INSTALL_NOT_FOUND: 'The node, profile or item to replace or remove does not exist.',
  INSTALL_ROLLED_BACK: 'The command was rolled back because another command of its Atomic block failed.',
  INSTALL_NOT_ALLOWED: 'The platform does not allow this install (management mode, OS version or channel).',
  INSTALL_NOT_SIMULATED:
    'A valid payload certfleet does not simulate in this context (SCEP enrollment on any platform without a SCEP server to reach, as in inspect); it is skipped.',
  RENEWAL_DEFERRED_LOCKED: 'Renewal is due but the Apple device is locked; it renews once unlocked.',
  RENEWAL_EXPIRED: 'The certificate expired before it was renewed; it is reported, not silently renewed.',
  KEYSTORE_SEALED:
    'The key-store database (agents.db) was sealed with another key: its private keys cannot be read with this fleet secret.',

  // --- protocol/transport + simulator/broker (MQTT) ----------------------------------------------------
  TRANSPORT_UNREACHABLE:
    'The MQTT broker cannot be reached (refused, no route, TLS handshake failed, timed out).',
  TRANSPORT_NOT_AUTHORIZED:
    'The broker refused the connection: bad user name or password, or no valid certificate.',
  TRANSPORT_PROTOCOL: 'The broker does not speak the requested MQTT version (aedes speaks only 3.1.1).',
  TRANSPORT_SUBSCRIBE_REFUSED:
    'The broker refused a subscription (SUBACK failure 0x80): the topic ACL denies it.',
  TRANSPORT_TIMEOUT: 'The broker did not acknowledge in time (it went away and has not come back).',
  TRANSPORT_CLOSED: 'The MQTT client was closed; nothing more can be published or subscribed on it.',
  BROKER_START: 'The MQTT broker (embedded or Mosquitto) could not be started or configured.',

  // --- simulator/engine (the fleet engine: one virtual clock across hosts) -------------------------
  RUN_STALLED:
    'The run stopped making progress: messages stayed in flight or a part never went idle (the message names them).',
  HOST_MISSING:
    'An agent host did not join in time, or fell silent longer than the liveness limit (the message names it).',
  CLOCK_PROTOCOL:
    'A clock message of the fleet engine is malformed, or a host does not fit the run (the message names the field).',
  WIRE_MESSAGE_INVALID:
    'A JSON message between a device and the service is malformed (the message names the key path); the receiver records it and changes nothing.',
  RUN_UNFINISHED:
    'The run folder holds a run that never finished and kept no saved state to resume from (a killed run or run --workers; a serve resumes from its service-state.db): it is left as it is.',
  RUN_STATE_MISMATCH:
    "The run folder's saved service state belongs to another run (scenario, seed, fleet size or fleet secret): it is not resumed, and nothing is changed.",
  RUN_NOT_RESUMABLE:
    'The run folder holds an unfinished run that a serve cannot resume: another engine wrote it (run --workers, whose agent hosts were its child processes and are gone); it is left as it is.',

  // --- protocol/scep + simulator/service/scep (SCEP, RFC 8894; the NDES-like server) ---------------------
  SCEP_MESSAGE_INVALID:
    'A SCEP message is malformed, or its signature or content digest does not verify (failInfo badMessageCheck).',
  SCEP_NOT_RECIPIENT:
    'A SCEP envelope is not encrypted to the certificate of the side that reads it, or cannot be decrypted (failInfo badMessageCheck).',
  SCEP_UNSUPPORTED_ALGORITHM:
    'A SCEP message uses a digest, key transport or content cipher certfleet does not implement (failInfo badAlg).',
  SCEP_CHALLENGE_INVALID:
    'CRPSCEPDeserialize_Failed 0x00000410: the SCEP request carries no challenge, or one the connector never issued.',
  SCEP_CHALLENGE_EXPIRED: 'CRPSCEPChallenge_Expired 0x00000411: the SCEP challenge has expired.',
  SCEP_CHALLENGE_REUSED: 'The one-time SCEP challenge was already used by an earlier request.',
  SCEP_CHALLENGE_MISMATCH:
    'The SCEP challenge was issued for another device, profile or subject than the request names.',
  SCEP_UNKNOWN_TRANSACTION:
    'A SCEP poll or GetCert names a transaction or certificate the server does not know (failInfo badCertId).',
  SCEP_RENEWAL_REFUSED:
    'A SCEP RenewalReq is not signed with a valid certificate this CA issued (failInfo badRequest).',
  SCEP_REQUEST_FAILED: 'The SCEP server answered FAILURE (the message names its failInfo).',
  SCEP_PENDING: 'The SCEP server still answered PENDING after the last poll the client was allowed.',
  SCEP_HTTP: 'The SCEP server cannot be reached, or answered an HTTP error or an unexpected content type.',
  SCEP_ENROLMENT_INTERRUPTED:
    'The device restarted while its background SCEP enrolment ran; the one-time challenge went with it, so that enrolment cannot finish.',
} as const;

/** One code from the closed list {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options for {@link CertfleetError}: an underlying cause, and structured details for reports. */
export interface CertfleetErrorOptions {
  cause?: unknown;
  /** Machine-readable facts about the failure (a key path, a line, an HRESULT…). Never secrets. */
  details?: Record<string, unknown>;
}

/**
 * An error with a stable code from {@link ERROR_CODES} and a message a person can act on.
 *
 * @example
 * throw new CertfleetError('PKCS12_BAD_PASSWORD', 'The PKCS#12 password is wrong (MAC check failed).');
 */
export class CertfleetError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: CertfleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CertfleetError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `e` is a {@link CertfleetError}, optionally with the given code. */
export function isCertfleetError(e: unknown, code?: ErrorCode): e is CertfleetError {
  return e instanceof CertfleetError && (code === undefined || e.code === code);
}

/**
 * The codes that always mean "an input cannot be loaded": a scenario that is not YAML or breaks the
 * format, a profile or device file that does not parse or validate, a CA folder that is missing or
 * damaged. The CLI exits 3 for them (README "Exit codes").
 */
export const INPUT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SCENARIO_PARSE',
  'SCENARIO_INVALID',
  'PROFILE_INVALID',
  'GRAPH_PARSE',
  'GRAPH_UNSUPPORTED_TYPE',
  'DEVICE_FILE_INVALID',
  'CA_NOT_FOUND',
  'CA_CORRUPT',
  'KEY_POOL_INVALID',
  'KEY_POOL_PASSPHRASE_MISSING',
  'KEY_POOL_PASSPHRASE_WRONG',
  'CA_PASSPHRASE',
  'KEYSTORE_SEALED',
]);

/**
 * True when `e` says an input the command reads cannot be loaded: a code of {@link INPUT_ERROR_CODES}, or
 * an `IO` error raised while reading an input file (`details.input`, set where the file is read; writing a
 * report or a payload is not an input error).
 */
export function isInputError(e: unknown): e is CertfleetError {
  if (!(e instanceof CertfleetError)) return false;
  return INPUT_ERROR_CODES.has(e.code) || (e.code === 'IO' && e.details['input'] === true);
}
