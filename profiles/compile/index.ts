/**
 * Public API of profile compilation: resolve what a PKCS certificate request needs for one device, and
 * compile a profile into the native payload that device receives (docs/formats.md §6).
 */
export { compileProfile } from './compile-profile.ts';
export type {
  CompileOptions,
  CompileResult,
  IssuedIdentity,
  NativePayload,
  PayloadFormat,
  SyncmlHeaderOptions,
} from './compile-types.ts';
export {
  ESCAPE_SENSITIVE,
  PKCS_KEY_SIZE,
  SAN_ENTRY_TYPE_OF_TARGET,
  familyMismatch,
  resolveRequest,
} from './resolve-request.ts';
export type { CertificateRequestSpec, PkcsKeySize, ResolveRequestResult } from './resolve-request.ts';
export { requestSid, type RequestSid } from './request-sid.ts';
export { validationError } from './outcomes.ts';
export type { CompileFailure, ValidationError } from './outcomes.ts';
export { seededIds } from './ids.ts';
export type { IdPurpose, IdSource } from './ids.ts';
export { PAYLOAD_SCOPE_OF_CHANNEL, fileNameOf } from './compile-apple.ts';
export {
  KEY_LOCATION_OF_PROVIDER,
  PFX_SCOPE_OF_CERTIFICATE_TYPE,
  TRUSTED_STORE_OF_DESTINATION,
} from './compile-windows.ts';
export { keyAliasOf, keyPairAccessOf, rewrapForAndroid } from './compile-android.ts';
export type { AndroidPkcsProfile } from './compile-android.ts';
