/**
 * Key storage providers (KSPs) of a simulated Windows device and the ClientCertificateInstall rules for
 * choosing one (docs/formats.md §2.3 CCI KeyLocation / ContainerName / PFXKeyExportable; issue 4 "Key stores").
 *
 * - KeyLocation 1: TPM (Microsoft Platform Crypto Provider) if present, fail if not; 2: TPM if present else
 *   software; 3: software; 4: Windows Hello for Business (Passport) in the container ContainerName names.
 * - Key sizes (issue 4): 4096-bit keys only in the software KSP; Windows Hello only RSA-2048. The TPM takes
 *   RSA up to 2048 bits and ECDSA P-256 (**[inferred]** from the TPM 2.0 PC Client profile's mandatory
 *   algorithms). KeyLocation 2 with a TPM present uses the TPM and fails on a key it cannot hold: CCI says
 *   "TPM if present", not "TPM if the key fits" (**[certfleet]**).
 * - PFXKeyExportable: only with KeyLocation 3 ("For any other KeyLocation value, the CSP will fail", CCI);
 *   any other key is marked not exportable (PFXDOC "the private key is marked as not exportable").
 * - KeyLocation 4 on a PC without Windows Hello for Business provisioned (Device.windowsHello false) fails
 *   with INSTALL_KSP_UNAVAILABLE: CCI says "Windows Hello for Business, otherwise fail" (docs/errors.md §1.2
 *   "KeyLocation=4 without Windows Hello for Business": behaviour documented, status inferred).
 */
import type { KeyObject } from 'node:crypto';
import type { PfxKeyLocation } from '../../../profiles/windows/pfx-cert-install.ts';

/** A key storage provider. */
export type Ksp = 'tpm' | 'software' | 'passport';

/** The KSP's display name as Windows shows it (certutil -store "Provider ="). */
export const KSP_NAMES: Readonly<Record<Ksp, string>> = {
  tpm: 'Microsoft Platform Crypto Provider',
  software: 'Microsoft Software Key Storage Provider',
  passport: 'Microsoft Passport Key Storage Provider',
};

/** The outcome of {@link chooseKsp}. */
export type KspDecision =
  | { ok: true; ksp: Ksp; exportable: boolean }
  | {
      ok: false;
      code:
        | 'INSTALL_KSP_UNAVAILABLE'
        | 'INSTALL_KSP_KEY_SIZE'
        | 'INSTALL_CONTAINER_REQUIRED'
        | 'INSTALL_EXPORT_NOT_ALLOWED';
      message: string;
    };

/** A short description of a key: `RSA-4096`, `EC P-256`. */
export function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return `RSA-${String(d?.modulusLength ?? '?')}`;
  if (key.asymmetricKeyType === 'ec') {
    const curve = d?.namedCurve;
    const name = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : String(curve);
    return `EC ${name}`;
  }
  return String(key.asymmetricKeyType);
}

function fits(ksp: Ksp, key: KeyObject): boolean {
  const d = key.asymmetricKeyDetails;
  if (ksp === 'software') return true;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d?.modulusLength ?? 0;
    return ksp === 'passport' ? bits === 2048 : bits <= 2048;
  }
  return ksp === 'tpm' && key.asymmetricKeyType === 'ec' && d?.namedCurve === 'prime256v1';
}

/**
 * Chooses where the PFX's private key goes, or says why the CSP fails.
 *
 * @param device whether the device has a TPM and Windows Hello for Business (absent: provisioned)
 * @param install the decoded PFXCertInstall parameters
 * @param key the PFX's private key (its size decides whether the KSP can hold it)
 */
export function chooseKsp(
  device: { tpm: boolean; windowsHello?: boolean },
  install: { keyLocation: PfxKeyLocation; containerName?: string; keyExportable: boolean },
  key: KeyObject,
): KspDecision {
  if (install.keyExportable && install.keyLocation !== 3) {
    return {
      ok: false,
      code: 'INSTALL_EXPORT_NOT_ALLOWED',
      message: `PFXKeyExportable is true with KeyLocation ${install.keyLocation}; the CSP only allows an exportable key in the software KSP (KeyLocation 3). Set PFXKeyExportable to false or use KeyLocation 3.`,
    };
  }
  if (install.keyLocation === 4 && (install.containerName ?? '') === '') {
    return {
      ok: false,
      code: 'INSTALL_CONTAINER_REQUIRED',
      message:
        'KeyLocation 4 (Windows Hello for Business) needs a ContainerName; without one the enrollment fails. Send ContainerName before PFXCertBlob.',
    };
  }
  let ksp: Ksp;
  switch (install.keyLocation) {
    case 1:
      if (!device.tpm) {
        return {
          ok: false,
          code: 'INSTALL_KSP_UNAVAILABLE',
          message:
            'KeyLocation 1 requires the TPM key storage provider, and this device has no TPM. Use KeyLocation 2 (TPM if present, else software) or 3.',
        };
      }
      ksp = 'tpm';
      break;
    case 2:
      ksp = device.tpm ? 'tpm' : 'software';
      break;
    case 3:
      ksp = 'software';
      break;
    case 4:
      if (device.windowsHello === false) {
        return {
          ok: false,
          code: 'INSTALL_KSP_UNAVAILABLE',
          message:
            'KeyLocation 4 requires the Windows Hello for Business (Passport) key storage provider, and Windows Hello for Business is not provisioned on this device. Provision Windows Hello for Business, or use KeyLocation 2 (TPM if present, else software) or 3.',
        };
      }
      ksp = 'passport';
      break;
  }
  if (!fits(ksp, key)) {
    const allowed = ksp === 'passport' ? 'RSA-2048 only' : 'RSA up to 2048 bits or EC P-256';
    return {
      ok: false,
      code: 'INSTALL_KSP_KEY_SIZE',
      message: `The ${KSP_NAMES[ksp]} cannot hold a ${describeKey(key)} key (${allowed}); larger keys need the software KSP (KeyLocation 3), or issue a smaller key.`,
    };
  }
  return { ok: true, ksp, exportable: ksp === 'software' && install.keyExportable };
}
