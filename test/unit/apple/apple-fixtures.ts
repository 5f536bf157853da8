/**
 * Fixed sample profiles for the Apple codec tests: one per certificate payload type and platform, with
 * fixed UUIDs/identifiers and small opaque byte strings (the codec never parses certificate bytes).
 */
import type {
  AppleCertificateProfile,
  ApplePlatform,
  CertificatePayload,
} from '../../../profiles/apple/mobileconfig-types.ts';

/** Deterministic filler bytes (not a real certificate: the codec treats them as opaque). */
export function fixedBytes(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 37 + seed * 101 + 11) & 0xff));
}

const PEM_TEXT = Buffer.from(
  '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGZsZWV0IGZpeHR1cmUgb25seQ==\n-----END CERTIFICATE-----\n',
  'ascii',
);

/** One payload of each certificate type, valid on `platform` (macOS-only keys only for macOS). */
export function samplePayload(
  type: CertificatePayload['PayloadType'],
  platform: ApplePlatform,
): CertificatePayload {
  const common = {
    PayloadIdentifier: `com.example.certfleet.${type.split('.').pop() ?? ''}`,
    PayloadVersion: 1 as const,
    PayloadDisplayName: `Sample ${type}`,
  };
  switch (type) {
    case 'com.apple.security.root':
      return {
        ...common,
        PayloadType: type,
        PayloadUUID: '11111111-1111-4111-8111-111111111111',
        PayloadCertificateFileName: 'Contoso Root CA.cer',
        PayloadDescription: 'Trusted root <& "quoted"> for tests',
        PayloadContent: fixedBytes(120, 1),
      };
    case 'com.apple.security.pkcs1':
      return {
        ...common,
        PayloadType: type,
        PayloadUUID: '22222222-2222-4222-8222-222222222222',
        PayloadCertificateFileName: 'issuing.cer',
        PayloadContent: fixedBytes(61, 2),
      };
    case 'com.apple.security.pem':
      return {
        ...common,
        PayloadType: type,
        PayloadUUID: '33333333-3333-4333-8333-333333333333',
        PayloadOrganization: 'Contoso Ltd',
        PayloadContent: PEM_TEXT,
      };
    case 'com.apple.security.pkcs12':
      return {
        ...common,
        PayloadType: type,
        PayloadUUID: '44444444-4444-4444-8444-444444444444',
        PayloadCertificateFileName: 'user@contoso.com.pfx',
        Password: 'fixture-only',
        PayloadContent: fixedBytes(200, 4),
        ...(platform === 'macos' ? { AllowAllAppsAccess: true, KeyIsExtractable: false } : {}),
      };
  }
}

/** A profile holding one payload of `type`, with every optional top-level key the platform allows. */
export function sampleProfile(
  type: CertificatePayload['PayloadType'],
  platform: ApplePlatform,
): AppleCertificateProfile {
  return {
    PayloadIdentifier: `com.example.certfleet.profile.${platform}`,
    PayloadUUID: 'AAAAAAAA-0000-4000-8000-00000000000A',
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadDisplayName: 'Certfleet sample – Zertifikat', // non-ASCII on purpose
    PayloadDescription: 'Line one\nLine two',
    PayloadOrganization: 'Contoso',
    ...(platform === 'macos' ? { PayloadScope: 'System' as const } : {}),
    PayloadRemovalDisallowed: false,
    HasRemovalPasscode: false,
    RemovalDate: new Date('2030-01-31T12:00:00Z'),
    DurationUntilRemoval: 86400.5,
    PayloadExpirationDate: new Date('2029-12-31T23:59:59Z'),
    TargetDeviceType: platform === 'macos' ? 5 : 1,
    ConsentText: { default: 'Installs a certificate.', de: 'Installiert ein Zertifikat.' },
    PayloadContent: [samplePayload(type, platform)],
  };
}
