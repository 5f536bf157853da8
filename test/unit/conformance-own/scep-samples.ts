/**
 * Project-made Graph exports of the five `…ScepCertificateProfile` types (issue 14 point 5), written here by the
 * certfleet project in the shape the Graph beta resource pages give (GRAPH resource pages of each type, listed
 * in profiles/graph/odata-types.ts): every property of the type, some enums by number, the root link in each
 * of the forms an export carries (expanded object with its `@odata.type`, bind URL in both spellings, and a
 * full-metadata navigation link beside the expanded object).
 */
import { GRAPH_TYPE_OF } from '../../../profiles/graph/odata-types.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';

type ScepFamily = ScepCertificateProfile['family'];
/** The families with a SCEP type. */
export const SCEP_GRAPH_FAMILIES: readonly ScepFamily[] = [
  'windows',
  'macos',
  'ios',
  'android-work-profile',
  'android-device-owner',
];

const rootId = (i: number): string => `d4d4d4d4-0000-4000-8000-00000000000${i}`;
const graph = (family: ScepFamily): string => `#microsoft.graph.${GRAPH_TYPE_OF['scep-certificate'][family]}`;
const rootType = (family: ScepFamily): string =>
  `#microsoft.graph.${GRAPH_TYPE_OF['trusted-certificate'][family]}`;

const OWN: Record<ScepFamily, Record<string, unknown>> = {
  windows: {
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{AAD_Device_ID}},O=Certfleet Test',
    subjectAlternativeNameType: 'none',
    customSubjectAlternativeNames: [
      {
        '@odata.type': 'microsoft.graph.customSubjectAlternativeName',
        sanType: 'domainNameService',
        name: '{{FullyQualifiedDomainName}}',
      },
    ],
    certificateStore: 'machine',
    keyStorageProvider: 'useTpmKspOtherwiseFail',
    keyUsage: 'keyEncipherment,digitalSignature',
    keySize: 'size4096',
    hashAlgorithm: 'sha2',
    rootCertificate: { '@odata.type': rootType('windows'), id: rootId(0) },
  },
  macos: {
    // enums by number: appleSubjectNameFormat 3 = commonNameIncludingEmail, SAN flags 2 = UPN, store 1 = user,
    // keyUsages 2 = digitalSignature, keySize 1 = size2048, hashAlgorithms 3 = sha1 + sha2, scale 1 = months
    subjectNameFormat: 3,
    subjectAlternativeNameType: 2,
    certificateValidityPeriodValue: 6,
    certificateValidityPeriodScale: 1,
    customSubjectAlternativeNames: [],
    certificateStore: 1,
    keyUsage: 2,
    keySize: 1,
    hashAlgorithm: 3,
    allowAllAppsAccess: true,
    'rootCertificate@odata.bind': `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${rootId(1)}')`,
  },
  ios: {
    subjectNameFormat: 'commonNameAsEmail',
    subjectAlternativeNameType: 'emailAddress,customAzureADAttribute',
    subjectAlternativeNameFormatString: 'onPremisesSamAccountName',
    customSubjectAlternativeNames: [
      {
        '@odata.type': 'microsoft.graph.customSubjectAlternativeName',
        sanType: 'universalResourceIdentifier',
        name: 'tag:microsoft.com,2022-09-14:sid:{{OnPremisesSecurityIdentifier}}',
      },
    ],
    certificateStore: 'user',
    keyUsage: 'digitalSignature',
    keySize: 'size2048',
    rootCertificate: { '@odata.type': rootType('ios'), id: rootId(2) },
    'rootCertificate@odata.navigationLink': `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('e5e5e5e5-0000-4000-8000-000000000002')/microsoft.graph.iosScepCertificateProfile/rootCertificate`,
  },
  'android-work-profile': {
    subjectNameFormat: 'commonNameAsAadDeviceId',
    subjectAlternativeNameType: 'userPrincipalName',
    certificateStore: 'user',
    keyUsage: 'keyEncipherment',
    keySize: 2,
    hashAlgorithm: 2,
    'rootCertificate@odata.bind': `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations/${rootId(3)}`,
  },
  'android-device-owner': {
    subjectNameFormat: 'commonName',
    subjectAlternativeNameType: 'none',
    certificateStore: 'machine',
    keyUsage: 'digitalSignature,keyEncipherment',
    keySize: 'size2048',
    hashAlgorithm: 'sha2',
    certificateAccessType: 'specificApps',
    silentCertificateAccessDetails: [
      {
        '@odata.type': 'microsoft.graph.androidDeviceOwnerSilentCertificateAccess',
        packageId: 'test.certfleet.vpn',
      },
    ],
    rootCertificate: { id: rootId(4) },
  },
};

/** The model each export must import to (a subset). */
export const SCEP_EXPECTED: Record<ScepFamily, Record<string, unknown>> = {
  windows: {
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{AAD_Device_ID}},O=Certfleet Test',
    subjectAlternativeNameType: [],
    customSubjectAlternativeNames: [{ sanType: 'domainNameService', name: '{{FullyQualifiedDomainName}}' }],
    certificateType: 'device',
    keyStorageProvider: 'useTpmKspOtherwiseFail',
    keyUsage: ['keyEncipherment', 'digitalSignature'],
    keySize: 'size4096',
    hashAlgorithm: ['sha2'],
    rootCertificateId: rootId(0),
    validity: { value: 1, unit: 'years' },
  },
  macos: {
    subjectNameFormat: 'commonNameIncludingEmail',
    subjectAlternativeNameType: ['userPrincipalName'],
    validity: { value: 6, unit: 'months' },
    certificateType: 'user',
    keyUsage: ['digitalSignature'],
    keySize: 'size2048',
    hashAlgorithm: ['sha1', 'sha2'],
    allowAllAppsAccess: true,
    rootCertificateId: rootId(1),
  },
  ios: {
    subjectNameFormat: 'commonNameAsEmail',
    subjectAlternativeNameType: ['emailAddress', 'customAzureADAttribute'],
    subjectAlternativeNameFormatString: 'onPremisesSamAccountName',
    customSubjectAlternativeNames: [
      {
        sanType: 'universalResourceIdentifier',
        name: 'tag:microsoft.com,2022-09-14:sid:{{OnPremisesSecurityIdentifier}}',
      },
    ],
    keyUsage: ['digitalSignature'],
    rootCertificateId: rootId(2),
  },
  'android-work-profile': {
    subjectNameFormat: 'commonNameAsAadDeviceId',
    subjectAlternativeNameType: ['userPrincipalName'],
    keyUsage: ['keyEncipherment'],
    keySize: 'size4096',
    hashAlgorithm: ['sha2'],
    rootCertificateId: rootId(3),
  },
  'android-device-owner': {
    certificateType: 'device',
    keyUsage: ['keyEncipherment', 'digitalSignature'],
    certificateAccess: { type: 'specificApps', packageIds: ['test.certfleet.vpn'] },
    rootCertificateId: rootId(4),
  },
};

/** The project-made export of the SCEP type of `family`. */
export function scepGraphExport(family: ScepFamily): Record<string, unknown> {
  const i = SCEP_GRAPH_FAMILIES.indexOf(family);
  return {
    '@odata.type': graph(family),
    id: `e5e5e5e5-0000-4000-8000-00000000000${i}`,
    displayName: `Certfleet own SCEP (${GRAPH_TYPE_OF['scep-certificate'][family]})`,
    description: 'Written by the certfleet project for its conformance-own tests',
    roleScopeTagIds: ['0'],
    supportsScopeTags: true,
    version: 1,
    renewalThresholdPercentage: 20,
    certificateValidityPeriodValue: 1,
    certificateValidityPeriodScale: 'years',
    scepServerUrls: [
      `https://ndes${i}.certfleet.test/certsrv/mscep/mscep.dll`,
      `https://ndes${i}b.certfleet.test/certsrv/mscep/mscep.dll`,
    ],
    extendedKeyUsages: [
      {
        '@odata.type': 'microsoft.graph.extendedKeyUsage',
        name: 'Client Authentication',
        objectIdentifier: '1.3.6.1.5.5.7.3.2',
      },
    ],
    ...OWN[family],
  };
}
