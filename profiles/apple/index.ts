/**
 * The Apple codecs: `.mobileconfig` profiles with certificate payloads and MDM command responses.
 * Pure (bytes in, typed values out); see docs/formats.md §1 and docs/errors.md §2.
 */
export { encodeMobileconfig, decodeMobileconfig, mobileconfigProblemsError } from './mobileconfig.ts';
export type { MobileconfigDecodeResult, MobileconfigOptions } from './mobileconfig.ts';
export { APPLE_PLATFORMS, CERTIFICATE_PAYLOAD_TYPES, KNOWN_PAYLOAD_TYPES } from './mobileconfig-types.ts';
export type {
  ApplePayload,
  ApplePayloadType,
  ApplePlatform,
  AppleProfile,
  AppleCertificateProfile,
  CertificatePayload,
  CommonPayloadKeys,
  Pkcs1CertificatePayload,
  Pkcs12CertificatePayload,
  PemCertificatePayload,
  RootCertificatePayload,
  ScepPayload,
  ScepPayloadContent,
} from './mobileconfig-types.ts';
export type { Problem, ProblemCode, ProblemRule } from './problem.ts';
export { encodeCommandResponse, decodeCommandResponse, COMMAND_STATUSES } from './command-response.ts';
export type {
  AppleCommandResponse,
  CommandResponseDecodeResult,
  CommandStatus,
  ErrorChainItem,
} from './command-response.ts';
export { APPLE_ERRORS, appleErrorForProblem, intuneCodeForAppleError } from './apple-error-catalogue.ts';
export type { AppleErrorDefinition, AppleErrorName, Confidence } from './apple-error-catalogue.ts';
