/**
 * The Windows OMA-DM SyncML codec (docs/formats.md §2): the generic message model and codec, the
 * RootCATrustedCertificates and ClientCertificateInstall/PFXCertInstall helpers, the device's replies, and the
 * PFX-password CMS (type 1) that the service encrypts and the device decrypts.
 */
export * from './syncml-model.ts';
export * from './syncml-status-codes.ts';
export * from './syncml-encode.ts';
export * from './syncml-decode.ts';
export * from './syncml-problem.ts';
export * from './syncml-walk.ts';
export * from './loc-uri.ts';
export * from './root-ca-trusted-certificates.ts';
export * from './pfx-cert-install.ts';
export * from './device-reply.ts';
export * from './pfx-password.ts';
