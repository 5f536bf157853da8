/**
 * Inputs and outputs of {@link compileProfile}: the identity the connector issued, the options that make a
 * compilation deterministic, and the native payload a device receives (docs/formats.md §6 cheat-sheet).
 */
import type { RandomBytes } from '../../pki/pkcs12.ts';
import type { AppleProfile } from '../apple/mobileconfig-types.ts';
import type { AndroidPolicy } from '../android/policy-model.ts';
import type { SyncmlMessage } from '../windows/syncml-model.ts';
import type { IdSource } from './ids.ts';
import type { CompileFailure } from './outcomes.ts';
import type { CertificateRequestSpec } from './resolve-request.ts';

/** What the connector produced for a PKCS profile: the password-protected PKCS#12 and its password. */
export interface IssuedIdentity {
  /** PKCS#12 bytes: key, leaf, then the issuing CA (simulator/service/ca issuePfx). */
  pfx: Buffer;
  /** The PFX password. Never logged or put in an error. */
  password: string;
  /** The leaf certificate DER (informational: reported in the compile result). */
  certificateDer?: Buffer;
}

/** What a SCEP payload needs besides the profile: see {@link CompileOptions.scep}. */
export interface ScepEnrolment {
  /** Default: the profile's first `scepServerUrls` entry. */
  url?: string;
  challenge: string;
  /** Apple `CAFingerprint`: a digest of the CA certificate the device expects. */
  caFingerprint?: Buffer;
  /** Windows `CAThumbprint` (required there): SHA-1 hex of the root CA certificate. */
  caThumbprint?: string;
}

/** The SyncML header values of the server's message (docs/formats.md §2.1). */
export interface SyncmlHeaderOptions {
  sessionId?: string;
  msgId?: number;
  /** `<Target><LocURI>`: the device id (`./DevInfo/DevId`). Default: the device's Entra device ID or `device`. */
  deviceId?: string;
  /** `<Source><LocURI>`: the server URL. Default `https://mdm.certfleet.test/omadm`. */
  serverUrl?: string;
}

/** Options of {@link compileProfile}. */
export interface CompileOptions {
  /** Where every GUID/UUID comes from (see ids.ts); inject {@link seededIds} for stable bytes. */
  ids: IdSource;
  /** Required for a PKCS profile: what the connector issued for this device. */
  issued?: IssuedIdentity;
  /**
   * PKCS only: the request already resolved for this profile and device (`resolveRequest` with the same
   * `profile` and `facts`). When given, compileProfile does not resolve it again: the MDM service resolves a
   * request once per delivery and carries it through the connector into compilation.
   */
  request?: CertificateRequestSpec;
  /**
   * Windows only: encrypts the PFX password to the device's MDM (management) certificate and returns the
   * base64 CMS blob; when given, PFXCertPasswordEncryptionType is 1, else the password goes in clear with
   * type 0 (docs/formats.md §2.3; §2.6: Intune encrypts it, DIRKJAN). profiles/windows/pfx-password.ts
   * `encryptPfxPasswordForDevice` fits here; the compiler stays free of key material by taking it as a function.
   */
  encryptPassword?: (password: string) => string;
  /** Android only: salts/IVs for re-wrapping the PKCS#12 with the empty ONC passphrase (stable bytes). */
  random?: RandomBytes;
  /** Android only: PKCS#12 algorithms of the re-wrapped blob; default `modern`. */
  pkcs12Profile?: 'legacy' | 'modern';
  /**
   * Android PKCS only: the issued PKCS#12 already re-wrapped with the empty ONC passphrase — by
   * compile-android.ts `rewrapForAndroid` with these same options, on the issuance pool (off the calling
   * thread) — and compiled as given instead of re-wrapping here. Without it the blob is re-wrapped here.
   */
  rewrappedPkcs12?: Buffer;
  /** Windows only: SyncML header values. */
  syncml?: SyncmlHeaderOptions;
  /**
   * Windows only: the device already holds this profile's PFXCertInstall node (a renewal or a re-issue with
   * the same {UniqueID}): a Delete of the node precedes the Atomic, the remove-then-reinstall pattern of the
   * CCI PFX example (clientcertificateinstall-csp.md@03378db7), so the replaced certificate leaves the store.
   */
  replacesInstalled?: boolean;
  /** Windows only: CmdID of the first command (default 1); later commands count up. */
  firstCmdId?: number;
  /**
   * SCEP only: where and how this device enrols — the SCEP server URL (a run's own server in place of the
   * profile's `scepServerUrls`; default the profile's first URL), the one-time challenge the service issued for this device × profile (a
   * secret: never logged), and the SHA-256 fingerprint of the CA certificate the device expects.
   */
  scep?: ScepEnrolment;
  /** Apple only: `PayloadOrganization`; default `certfleet`. */
  organization?: string;
}

/** The three native formats (docs/formats.md §6). */
export type PayloadFormat = 'mobileconfig' | 'syncml' | 'android-policy';

/** A compiled payload: the bytes a device receives plus the typed value they encode. */
export type NativePayload =
  | { format: 'mobileconfig'; bytes: Buffer; fileExtension: '.mobileconfig'; native: AppleProfile }
  | { format: 'syncml'; bytes: Buffer; fileExtension: '.xml'; native: SyncmlMessage }
  | { format: 'android-policy'; bytes: Buffer; fileExtension: '.json'; native: AndroidPolicy };

/** The result of {@link compileProfile}. */
export type CompileResult =
  | {
      ok: true;
      payload: NativePayload;
      /** PKCS only: what was resolved for the request (subject, SANs…). */
      request?: CertificateRequestSpec;
    }
  | { ok: false; outcome: CompileFailure };
