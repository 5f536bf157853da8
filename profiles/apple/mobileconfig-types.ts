/**
 * The typed model of an Apple configuration profile (`.mobileconfig`) with certificate payloads.
 *
 * Field names are the plist keys, so a decoded profile reads like the XML. `Buffer` fields are `<data>`;
 * the codec treats certificate and PKCS#12 bytes as opaque (the device agent parses them later).
 *
 * Sources: docs/formats.md §1.1 (top level, ADM `mdm/profiles/TopLevel.yaml`), §1.2 (common payload keys,
 * `CommonPayloadKeys.yaml`), §1.3 (certificate payloads, `com.apple.security.{root,pkcs1,pem,pkcs12}.yaml`),
 * §1.4 (`com.apple.security.scep.yaml`).
 */

/** The Apple platforms certfleet simulates. */
export type ApplePlatform = 'macos' | 'ios';

/** Both Apple platforms, for table-driven code and tests. */
export const APPLE_PLATFORMS: readonly ApplePlatform[] = ['macos', 'ios'];

/** The certificate payload types the encoder writes (docs/formats.md §1.3). */
export const CERTIFICATE_PAYLOAD_TYPES = [
  'com.apple.security.root',
  'com.apple.security.pkcs1',
  'com.apple.security.pem',
  'com.apple.security.pkcs12',
] as const;

/** Every payload type the decoder accepts: the four certificate payloads and SCEP (docs/formats.md §1.3–1.4). */
export const KNOWN_PAYLOAD_TYPES = [...CERTIFICATE_PAYLOAD_TYPES, 'com.apple.security.scep'] as const;

/** One of {@link KNOWN_PAYLOAD_TYPES}. */
export type ApplePayloadType = (typeof KNOWN_PAYLOAD_TYPES)[number];

/** Keys common to every payload dictionary (docs/formats.md §1.2, ADM `CommonPayloadKeys.yaml`). */
export interface CommonPayloadKeys {
  /** Reverse-DNS identifier, unique within the profile. */
  PayloadIdentifier: string;
  /** A UUID (8-4-4-4-12 hex), unique within the profile. */
  PayloadUUID: string;
  /** Always 1. */
  PayloadVersion: 1;
  PayloadDescription?: string;
  PayloadDisplayName?: string;
  PayloadOrganization?: string;
}

/** Keys shared by the four certificate payloads (docs/formats.md §1.3). */
export interface CertificatePayloadKeys extends CommonPayloadKeys {
  /** The file name of the enclosed certificate (shown in UI and in the wrong-password message). */
  PayloadCertificateFileName?: string;
  /** The certificate bytes (`<data>`): DER for root/pkcs1, PEM text for pem, PFX for pkcs12. */
  PayloadContent: Buffer;
}

/** `com.apple.security.root`: "Alias for com.apple.security.pkcs1" (docs/formats.md §1.3). */
export interface RootCertificatePayload extends CertificatePayloadKeys {
  PayloadType: 'com.apple.security.root';
}

/** `com.apple.security.pkcs1`: a DER certificate without private key (docs/formats.md §1.3). */
export interface Pkcs1CertificatePayload extends CertificatePayloadKeys {
  PayloadType: 'com.apple.security.pkcs1';
}

/** `com.apple.security.pem`: PayloadContent is the PEM *text* as bytes (docs/formats.md §1.3, §1.7). */
export interface PemCertificatePayload extends CertificatePayloadKeys {
  PayloadType: 'com.apple.security.pem';
}

/** `com.apple.security.pkcs12`: a password-protected identity (docs/formats.md §1.3). */
export interface Pkcs12CertificatePayload extends CertificatePayloadKeys {
  PayloadType: 'com.apple.security.pkcs12';
  /** The PKCS#12 password (optional; Apple recommends omitting it or encrypting the profile). */
  Password?: string;
  /** macOS 10.10+ only; default false. Lets every app use the private key. */
  AllowAllAppsAccess?: boolean;
  /** macOS 10.15+ only; default true. False: the key is not tagged extractable in the keychain. */
  KeyIsExtractable?: boolean;
}

/** Values of the SCEP `SubjectAltName` dictionary: a string or an array of strings (docs/formats.md §1.4). */
export type ScepSanValue = string | string[];

/** The SCEP `PayloadContent` dictionary (docs/formats.md §1.4, ADM `com.apple.security.scep.yaml`). */
export interface ScepPayloadContent {
  URL: string;
  Name?: string;
  /** X.500 name as RDNs of [type, value] pairs: `[[['C','US']],[['O','Apple Inc.']]]`. */
  Subject?: [string, string][][];
  Challenge?: string;
  /** Schema rangelist 1024/2048/4096 (advisory: Apple's own example uses 0). */
  Keysize?: number;
  'Key Type'?: string;
  /** Bitmask: 1 signing, 4 encryption. */
  'Key Usage'?: number;
  CAFingerprint?: Buffer;
  Retries?: number;
  RetryDelay?: number;
  SubjectAltName?: {
    rfc822Name?: ScepSanValue;
    dNSName?: ScepSanValue;
    uniformResourceIdentifier?: ScepSanValue;
    ntPrincipalName?: ScepSanValue;
  };
  KeyIsExtractable?: boolean;
  AllowAllAppsAccess?: boolean;
}

/** `com.apple.security.scep` (decode only; docs/formats.md §1.4). */
export interface ScepPayload extends CommonPayloadKeys {
  PayloadType: 'com.apple.security.scep';
  PayloadContent: ScepPayloadContent;
}

/** The payloads the encoder writes. */
export type CertificatePayload =
  RootCertificatePayload | Pkcs1CertificatePayload | PemCertificatePayload | Pkcs12CertificatePayload;

/** Any payload the decoder understands. */
export type ApplePayload = CertificatePayload | ScepPayload;

/**
 * The top-level profile dictionary, PayloadType `Configuration` (docs/formats.md §1.1, ADM `TopLevel.yaml`).
 * Encrypted profiles (`IsEncrypted` true / `EncryptedPayloadContent`) are not simulated.
 */
export interface AppleProfile<P extends ApplePayload = ApplePayload> {
  PayloadIdentifier: string;
  PayloadUUID: string;
  PayloadType: 'Configuration';
  PayloadVersion: 1;
  PayloadContent: P[];
  PayloadDisplayName?: string;
  PayloadDescription?: string;
  PayloadOrganization?: string;
  /** macOS only (10.8+): where certificate items go (System keychain or the user's login keychain). */
  PayloadScope?: 'System' | 'User';
  /** Default false; on iOS it takes effect on supervised devices only. */
  PayloadRemovalDisallowed?: boolean;
  HasRemovalPasscode?: boolean;
  /** Always false when present: encrypted profiles are not simulated. */
  IsEncrypted?: false;
  RemovalDate?: Date;
  /** Seconds (a `<real>`). */
  DurationUntilRemoval?: number;
  PayloadExpirationDate?: Date;
  /** 0 any, 1 iPhone/iPad, 2 Watch, 3 HomePod, 4 Apple TV, 5 Mac, 6 Vision Pro. */
  TargetDeviceType?: 0 | 1 | 2 | 3 | 4 | 5 | 6;
  /** BCP-47 language (or `default`) → consent text. */
  ConsentText?: Record<string, string>;
}

/** A profile made only of certificate payloads: what the encoder accepts. */
export type AppleCertificateProfile = AppleProfile<CertificatePayload>;
