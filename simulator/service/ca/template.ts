/**
 * Certificate templates as an AD CS enterprise CA has them (Certificate Templates console, schema v2):
 * name and display name, subject type, minimum key size, subject name source, private-key export,
 * application policies, key usage, validity, and Read/Enroll permissions.
 *
 * Sources: docs/formats.md §5.2 (key size, validity, "Supply in the request", export for PKCS), PFXDOC
 * (MicrosoftDocs/memdocs certificates-pfx-configure.md@27ddcb82: the template settings Intune needs),
 * docs/errors.md §4 (what a CA answers when a template rule is broken).
 */
import { CertfleetError } from '../../../pki/errors.ts';

/** Application-policy (EKU) names a template can list, with their OIDs. */
export const APPLICATION_POLICIES = {
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  efs: '1.3.6.1.4.1.311.10.3.4',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  smartcardLogon: '1.3.6.1.4.1.311.20.2.2',
} as const;

/** A named application policy. */
export type ApplicationPolicy = keyof typeof APPLICATION_POLICIES;

/** A validity period in the units the template console uses. */
export interface ValidityPeriod {
  value: number;
  unit: 'days' | 'weeks' | 'months' | 'years';
}

/** One access-control entry of a template's Security tab: who may Read and who may Enroll. */
export interface TemplatePermission {
  /** An identity (e.g. a connector's computer account) or a group it belongs to. */
  principal: string;
  read: boolean;
  enroll: boolean;
}

/** An AD CS certificate template. */
export interface CertificateTemplate {
  /** Template (common) name, the one requests and Intune profiles name, e.g. `CertfleetUser`. */
  name: string;
  displayName: string;
  /** User or computer (device) template. */
  subjectType: 'user' | 'device';
  /** Template OID (for the v2 certificate-template extension), e.g. `1.3.6.1.4.1.311.21.8.x.y`. */
  oid: string;
  majorVersion: number;
  minorVersion: number;
  /** Minimum RSA key size in bits (Cryptography tab). 2048 by default; 4096 allowed. */
  minimumKeySize: number;
  /**
   * Key algorithms the template's provider category accepts (Cryptography tab: "Key Storage Provider" +
   * algorithm). Absent = RSA only, as the legacy CSP templates Intune PKCS uses.
   */
  keyAlgorithms?: ('RSA' | 'ECDSA')[];
  /** Subject Name tab: "Supply in the request" (Intune PKCS needs it) or built from Active Directory. */
  subjectSource: 'request' | 'directory';
  /** When built from AD: require the e-mail name in subject/SAN (CT_FLAG_SUBJECT_REQUIRE_EMAIL). */
  requireEmail: boolean;
  /** Request Handling tab: "Allow private key to be exported" (required for PKCS: the key is made server-side). */
  allowPrivateKeyExport: boolean;
  /** Extensions tab: application policies (EKUs). */
  applicationPolicies: ApplicationPolicy[];
  /** Extensions tab: key usage; `nonRepudiation` is "Signature is proof of origin". */
  keyUsage: { digitalSignature: boolean; keyEncipherment: boolean; nonRepudiation: boolean };
  validity: ValidityPeriod;
  permissions: TemplatePermission[];
}

/**
 * The RSA key size a certificate connector makes for a PKCS request on `template` when the run does not ask
 * for one (a scenario profile's `keySize`): the template's minimum, at least 2048. An Intune PKCS profile has
 * no key-size setting (Graph windows10PkcsCertificateProfile and the other PKCS resources have none); the
 * PKCS guide sets the size in the template ("Minimum key size" on the Cryptography tab: 2048, or 4096 for
 * Windows and Android), and the connector's request follows the template (docs/formats.md §5.2 "Key size").
 * @see https://learn.microsoft.com/mem/intune/protect/certificates-pfx-configure
 */
export function connectorKeySizeFor(
  template: Pick<CertificateTemplate, 'minimumKeySize'> | undefined,
): 2048 | 3072 | 4096 {
  const min = template?.minimumKeySize ?? 2048;
  return min > 3072 ? 4096 : min > 2048 ? 3072 : 2048;
}

/** The group the simulated certificate connectors (and the CLI) belong to by default. */
export const CONNECTOR_GROUP = 'CertfleetConnectors';

const BASE_OID = '1.3.6.1.4.1.311.21.8.7638725.13898300.1985460.3383425.7519116.119.';

/** The templates `certfleet ca init` creates: CertfleetUser and CertfleetDevice (issue 2). */
export function defaultTemplates(): CertificateTemplate[] {
  const common = {
    majorVersion: 100,
    minorVersion: 4,
    minimumKeySize: 2048,
    subjectSource: 'request' as const,
    requireEmail: false,
    allowPrivateKeyExport: true,
    keyUsage: { digitalSignature: true, keyEncipherment: true, nonRepudiation: false },
    validity: { value: 1, unit: 'years' as const },
    permissions: [{ principal: CONNECTOR_GROUP, read: true, enroll: true }],
  };
  return [
    {
      ...common,
      name: 'CertfleetUser',
      displayName: 'Certfleet User',
      subjectType: 'user',
      oid: `${BASE_OID}1`,
      applicationPolicies: ['efs', 'emailProtection', 'clientAuth'],
    },
    {
      ...common,
      name: 'CertfleetDevice',
      displayName: 'Certfleet Device',
      subjectType: 'device',
      oid: `${BASE_OID}2`,
      applicationPolicies: ['clientAuth'],
    },
  ];
}

/** Adds a validity period to a date, calendar-aware (months/years keep the day of month where possible). */
export function addValidity(from: Date, period: ValidityPeriod): Date {
  const d = new Date(from.getTime());
  switch (period.unit) {
    case 'days':
      d.setUTCDate(d.getUTCDate() + period.value);
      break;
    case 'weeks':
      d.setUTCDate(d.getUTCDate() + 7 * period.value);
      break;
    case 'months':
      d.setUTCMonth(d.getUTCMonth() + period.value);
      break;
    case 'years':
      d.setUTCFullYear(d.getUTCFullYear() + period.value);
      break;
  }
  return d;
}

/** Checks a template definition (e.g. one read back from a CA folder) and returns it, or throws CA_CORRUPT. */
export function checkTemplate(t: CertificateTemplate): CertificateTemplate {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(t.name))
    problems.push(`name '${t.name}' must be 1-64 letters, digits, _ . -`);
  if (![1024, 2048, 3072, 4096].includes(t.minimumKeySize))
    problems.push('minimumKeySize must be 1024, 2048, 3072 or 4096');
  if (!(t.validity.value > 0)) problems.push('validity must be positive');
  for (const p of t.applicationPolicies)
    if (!(p in APPLICATION_POLICIES)) problems.push(`unknown application policy '${p}'`);
  if (problems.length > 0) {
    throw new CertfleetError('CA_CORRUPT', `Template '${t.name}' is invalid: ${problems.join('; ')}.`, {
      details: { template: t.name, problems },
    });
  }
  return t;
}
