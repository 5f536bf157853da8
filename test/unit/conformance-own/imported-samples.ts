/**
 * Project-made Graph exports of the six `…ImportedPFXCertificateProfile` types (imported PKCS, issue 14 point
 * 5), written here by the certfleet project in the shape the Graph beta resource pages give (GRAPH
 * resource pages of each type, listed in profiles/graph/odata-types.ts): the inherited base properties at the values an
 * admin-center export carries when they are not used (commonName, none), and each type's own settings.
 */
import { GRAPH_TYPE_OF } from '../../../profiles/graph/odata-types.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';

const OWN: Record<ProfileFamily, Record<string, unknown>> = {
  windows: { keyStorageProvider: 'useSoftwareKsp', intendedPurpose: 'smimeEncryption' },
  macos: { deploymentChannel: 'userChannel', intendedPurpose: 'smimeSigning' },
  ios: { intendedPurpose: 2 },
  'android-work-profile': { intendedPurpose: 'vpn', extendedKeyUsages: [] },
  'android-device-owner': {
    intendedPurpose: 'wifi',
    extendedKeyUsages: [],
    certificateAccessType: 'specificApps',
    silentCertificateAccessDetails: [
      {
        '@odata.type': 'microsoft.graph.androidDeviceOwnerSilentCertificateAccess',
        packageId: 'test.certfleet.mail',
      },
    ],
  },
  'android-device-admin': { intendedPurpose: 'unassigned', extendedKeyUsages: [] },
};

/** The model each export must import to (a subset). */
export const IMPORTED_EXPECTED: Record<ProfileFamily, Record<string, unknown>> = {
  windows: { keyStorageProvider: 'useSoftwareKsp', intendedPurpose: 'smimeEncryption' },
  macos: { deploymentChannel: 'userChannel', intendedPurpose: 'smimeSigning' },
  ios: { intendedPurpose: 'smimeEncryption' },
  'android-work-profile': { intendedPurpose: 'vpn' },
  'android-device-owner': {
    intendedPurpose: 'wifi',
    certificateAccess: { type: 'specificApps', packageIds: ['test.certfleet.mail'] },
  },
  'android-device-admin': { intendedPurpose: 'unassigned' },
};

/** The project-made export of the imported-PKCS type of `family`. */
export function importedGraphExport(family: ProfileFamily): Record<string, unknown> {
  const type = GRAPH_TYPE_OF['pkcs-imported-certificate'][family];
  return {
    '@odata.type': `#microsoft.graph.${type}`,
    id: '9e8d7c6b-0000-4000-8000-00000000000' + String(Object.keys(OWN).indexOf(family)),
    displayName: `Certfleet own imported S/MIME (${type})`,
    description: 'Written by the certfleet project for its conformance-own tests',
    roleScopeTagIds: ['0'],
    version: 1,
    renewalThresholdPercentage: 20,
    subjectNameFormat: 'commonName',
    subjectAlternativeNameType: 'none',
    ...OWN[family],
  };
}
