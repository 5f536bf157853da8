/**
 * What the simulated Apple device decides about one payload before anything is written: the keychain
 * items to add, or the reason it refuses (an {@link AppleCase} of the one native-status table).
 */
import type { ErrorCode } from '../../../pki/errors.ts';
import type { StoreItem } from '../../keystore/store-db.ts';
import type { Certificate } from '../../../pki/index.ts';
import type { ApplePayload, ApplePlatform } from '../../../profiles/apple/index.ts';
import type { Device } from '../../device/device.ts';
import type { TrustMaterial } from './keychains.ts';
import type { AppleCase } from './native-status.ts';

/** A keychain item to write (device id, profile ref and install time are added when the transaction runs). */
export type PlannedItem = Omit<StoreItem, 'deviceId' | 'installedAt' | 'ref'>;

/** An identity's facts the renewal logic needs later (kept in the installed profile's meta). */
export interface IdentityFacts {
  payloadIdentifier: string;
  thumbprint: string;
  store: string;
  notBefore: string;
  notAfter: string;
}

/** The device's verdict on one payload. */
export type PayloadVerdict =
  | {
      readonly kind: 'install';
      readonly items: PlannedItem[];
      readonly message: string;
      /** The outcome code of the install: `OK` unless said (INSTALL_UNTRUSTED_CHAIN: installed, not trusted). */
      readonly code?: 'OK' | 'INSTALL_UNTRUSTED_CHAIN';
      readonly identity?: IdentityFacts;
    }
  | {
      readonly kind: 'refuse';
      readonly case: AppleCase;
      readonly message: string;
      /** The outcome code when it is not the case's own (a failed SCEP enrolment's code). */
      readonly code?: ErrorCode;
    };

/** What evaluating a payload may look at. `trust` grows as the profile's own roots are accepted. */
export interface VerdictContext {
  readonly platform: ApplePlatform;
  readonly device: Device;
  readonly now: Date;
  /** The keychain this profile installs into. */
  readonly keychain: string;
  readonly trust: TrustMaterial;
}

/** The name a device shows for a payload: PayloadDisplayName, else PayloadIdentifier. */
export function payloadName(p: ApplePayload): string {
  return p.PayloadDisplayName ?? p.PayloadIdentifier;
}

/** Attributes every Apple keychain item carries (payload identity, management facts). */
export function baseAttrs(p: ApplePayload, ctx: VerdictContext): Record<string, unknown> {
  return {
    payloadIdentifier: p.PayloadIdentifier,
    payloadUuid: p.PayloadUUID,
    payloadType: p.PayloadType,
    managed: true,
    enrollment: ctx.device.enrollmentKind,
  };
}

/** A refusal when `cert` is not valid at `now` (expired or not yet valid), else undefined. */
export function validityRefusal(cert: Certificate, now: Date, what: string): PayloadVerdict | undefined {
  if (now.getTime() > cert.notAfter.getTime()) {
    return {
      kind: 'refuse',
      case: 'certExpired',
      message: `The ${what} "${cert.subjectText}" expired on ${cert.notAfter.toISOString()} (device clock ${now.toISOString()}); deliver a current certificate.`,
    };
  }
  if (now.getTime() < cert.notBefore.getTime()) {
    return {
      kind: 'refuse',
      case: 'certExpired',
      message: `The ${what} "${cert.subjectText}" is not valid until ${cert.notBefore.toISOString()} (device clock ${now.toISOString()}); check the issuing CA's clock or wait.`,
    };
  }
  return undefined;
}

/** The store fields of a certificate. */
export function certificateFields(
  cert: Certificate,
): Pick<PlannedItem, 'thumbprint' | 'subject' | 'issuer' | 'notBefore' | 'notAfter' | 'certificate'> {
  return {
    thumbprint: cert.sha1Thumbprint,
    subject: cert.subjectText,
    issuer: cert.issuerText,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    certificate: Buffer.from(cert.der),
  };
}
