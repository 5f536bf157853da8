/**
 * The certificate template the MDM service issues device-management (enrollment) certificates from:
 * `CertfleetMdmDevice`, added to the CA at service start when absent. Subject CN = device id, client
 * authentication, one year (as Intune's MDM device certificate), key made on the device (not exportable).
 *
 * Note: the CA's policy module accepts RSA keys only (simulator/service/ca/policy-module.ts, step 3), so a
 * device enrolling with an EC key is refused with the CA's CA_KEY_LENGTH denial. Windows devices need an
 * RSA management key anyway: PFX passwords are CMS-encrypted to it with RSA key transport (docs/formats.md §2.3).
 */
import type { EnterpriseCa, Requester } from '../ca/enterprise-ca.ts';
import type { CertificateTemplate } from '../ca/template.ts';

/** Template name. */
export const MDM_DEVICE_TEMPLATE = 'CertfleetMdmDevice';

/** The identity the MDM service submits enrollment requests as. */
export const MDM_SERVICE_REQUESTER: Requester = { identity: 'CertfleetMdmService', groups: [] };

/** The template definition. */
export function mdmDeviceTemplate(): CertificateTemplate {
  return {
    name: MDM_DEVICE_TEMPLATE,
    displayName: 'Certfleet MDM Device',
    subjectType: 'device',
    oid: '1.3.6.1.4.1.311.21.8.7638725.13898300.1985460.3383425.7519116.119.50',
    majorVersion: 100,
    minorVersion: 1,
    minimumKeySize: 2048,
    // Devices other than Windows enrol with ECDSA P-256 keys (cheap to make); Windows needs RSA because
    // PFX passwords are CMS-encrypted to the management key (key transport).
    keyAlgorithms: ['RSA', 'ECDSA'],
    subjectSource: 'request',
    requireEmail: false,
    allowPrivateKeyExport: false,
    applicationPolicies: ['clientAuth'],
    keyUsage: { digitalSignature: true, keyEncipherment: true, nonRepudiation: false },
    validity: { value: 1, unit: 'years' },
    permissions: [{ principal: MDM_SERVICE_REQUESTER.identity, read: true, enroll: true }],
  };
}

/** Adds and publishes {@link MDM_DEVICE_TEMPLATE} on `ca` unless it exists; publishes it if it exists unpublished. */
export function ensureMdmDeviceTemplate(ca: EnterpriseCa): void {
  const list = ca.templates();
  const existing = list.find((t) => t.template.name === MDM_DEVICE_TEMPLATE);
  if (existing?.published) return;
  const templates = list.map((t) => t.template);
  const published = list.filter((t) => t.published).map((t) => t.template.name);
  ca.configureTemplates({
    templates: existing ? templates : [...templates, mdmDeviceTemplate()],
    published: [...published, MDM_DEVICE_TEMPLATE],
  });
}
