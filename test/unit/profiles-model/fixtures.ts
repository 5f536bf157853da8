/** Valid profile inputs per family, for the profiles-model tests. */
import { readFileSync } from 'node:fs';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import { conformancePath } from '../../fixtures/conformance.ts';
import { makeHierarchy } from '../pki/hierarchy.ts';

/**
 * Reads a file of the conformance material's corpus/ as text (read in place, never copied). Only the
 * conformance tests (wrapped in describeConformance/itConformance) call it.
 */
export function corpusText(rel: string): string {
  return readFileSync(conformancePath(`corpus/${rel}`), 'utf8');
}

export const MACOS_PKCS_SAMPLE =
  'graph-json/deploymenttheory-tfprovider-m365__macos_device_configuration_templates__post_macos_pkcs_certificate_success.json';
export const MACOS_TRUSTED_SAMPLE =
  'graph-json/deploymenttheory-tfprovider-m365__macos_device_configuration_templates__post_macos_trusted_certificate_success.json';
/** The two samples, as paths relative to the conformance folder (for describeConformance). */
export const MACOS_SAMPLES_NEEDED = [MACOS_PKCS_SAMPLE, MACOS_TRUSTED_SAMPLE].map((f) => `corpus/${f}`);

let root: Uint8Array | undefined;
/**
 * DER of a project-made root CA ("CN=Certfleet Test Root CA", self-signed with pool key rsa2048-0 by
 * test/unit/pki/hierarchy.ts), so the inputs below need no third-party material. A fresh copy each call.
 */
export function rootDer(): Uint8Array {
  root ??= new Uint8Array(makeHierarchy().root.der);
  return new Uint8Array(root);
}

/** Family-specific settings that make a valid PKCS input. */
export const PKCS_EXTRAS: Record<ProfileFamily, Record<string, unknown>> = {
  windows: {
    keyStorageProvider: 'useSoftwareKsp',
    extendedKeyUsages: [{ name: 'Client Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.2' }],
  },
  macos: { allowAllAppsAccess: true, deploymentChannel: 'userChannel' },
  ios: {},
  'android-work-profile': { extendedKeyUsages: [], rootCertificateId: 'root-wp' },
  'android-device-owner': {
    certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.vpn', 'com.contoso.mail'] },
    certificationAuthorityType: 'microsoft',
    rootCertificateId: 'root-do',
  },
  'android-device-admin': {
    extendedKeyUsages: [{ name: 'Client Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.2' }],
  },
};

/** A valid PKCS input for `family`, with overrides. */
export function pkcsInput(
  family: ProfileFamily,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const custom = family !== 'android-device-admin';
  return {
    kind: 'pkcs-certificate',
    family,
    id: `pkcs-${family}`,
    displayName: `PKCS ${family}`,
    renewalThresholdPercentage: 25,
    validity: { value: 6, unit: 'months' },
    certificationAuthority: 'ca01.corp.contoso.com',
    certificationAuthorityName: 'Contoso Issuing CA',
    certificateTemplateName: 'CertfleetUser',
    certificateType: 'user',
    subjectNameFormat: custom ? 'custom' : 'commonNameAsEmail',
    ...(custom
      ? {
          subjectNameFormatString: 'CN={{UserName}},E={{EmailAddress}},O=Contoso',
          customSubjectAlternativeNames: [{ sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' }],
        }
      : {}),
    subjectAlternativeNameType: ['emailAddress'],
    ...PKCS_EXTRAS[family],
    ...overrides,
  };
}

/** A valid trusted-certificate input for `family`. */
export function trustedInput(
  family: ProfileFamily,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: 'trusted-certificate',
    family,
    id: `root-${family}`,
    displayName: `Root ${family}`,
    certificate: rootDer(),
    certFileName: 'root.cer',
    ...(family === 'windows' ? { destinationStore: 'computerCertStoreIntermediate' } : {}),
    ...(family === 'macos' ? { deploymentChannel: 'userChannel' } : {}),
    ...overrides,
  };
}

/** A device with every attribute reported. */
export function fullFacts(overrides: Partial<DeviceFacts> = {}): DeviceFacts {
  return {
    platform: 'windows',
    enrollmentKind: 'hybrid-joined',
    osVersion: '10.0.22631',
    hasUser: true,
    attributes: {
      userName: 'janedoe',
      userPrincipalName: 'janedoe@contoso.com',
      emailAddress: 'jane.doe@contoso.com',
      entraDeviceId: '6b7f2c2e-1111-4a4a-9c9c-0123456789ab',
      intuneDeviceId: '0f0e0d0c-2222-4b4b-8d8d-abcdefabcdef',
      serialNumber: 'SN12345',
      imei: '490154203237518',
      meid: 'A0000049015420',
      wifiMacAddress: '00AABBCCDDEE',
      deviceName: 'LAPTOP-01',
      fullyQualifiedDomainName: 'laptop-01.corp.contoso.com',
      onPremisesDistinguishedName: 'CN=Jane Doe,OU=Users,DC=corp,DC=contoso,DC=com',
      onPremisesSamAccountName: 'jdoe',
      userSid: 'S-1-5-21-1004336348-1177238915-682003330-512',
      deviceSid: 'S-1-5-21-1004336348-1177238915-682003330-1105',
      udid: '00008110-001A2B3C4D5E6F70',
      department: 'Finance',
    },
    absent: {},
    ...overrides,
  };
}
