/**
 * certfleet's model of the Android Enterprise policy JSON the simulated MDM service sends to a device.
 *
 * **Inferred design.** docs/formats.md §3.4 and §6 say Intune's exact Android Enterprise certificate mechanism is not
 * documented. certfleet therefore defines its own minimal shape, kept close to AMAPI naming:
 * - an AMAPI-style `Policy` (docs/formats.md §3.1, AMAPI-DISC) whose `openNetworkConfiguration` carries ONC
 *   `Certificates[]` entries exactly as the Chromium ONC spec defines them (docs/formats.md §3.2: `GUID`, `Type`,
 *   `X509` for Authority/Server, `PKCS12` for Client; AMAPI supports neither `Remove` nor `TrustBits`, so
 *   the decoder refuses both — docs/formats.md §3.1);
 * - a certfleet extension, `certificateCommands`, standing for what the device-policy controller (DPC) does with
 *   those entries through DevicePolicyManager (docs/formats.md §3.3): `INSTALL_CA_CERT` (DPM `installCaCert`) and
 *   `INSTALL_KEY_PAIR` (DPM `installKeyPair`) with the access rule Intune offers on fully managed, dedicated and
 *   COPE devices (docs/formats.md §3.4: "Require user approval for apps" or "Grant silently for specific apps",
 *   Graph `certificateAccessType` userApproval/specificApps). Commands refer to certificates by ONC GUID so the
 *   bytes travel once.
 * AMAPI itself has no such command; the names (`UPPER_SNAKE` enum values, camelCase fields) follow AMAPI style.
 */
import type { EnrollScepCommand } from './scep-command.ts';

/** One ONC certificate `Type` (docs/formats.md §3.2). */
export type OncCertificateType = 'Authority' | 'Server' | 'Client';

/**
 * An ONC `Certificates[]` entry for a CA or server certificate (docs/formats.md §3.2): `X509` is the DER (bare base64
 * on the wire). No `TrustBits`: AMAPI does not support it (docs/formats.md §3.1, AMAPI-NET) and the decoder refuses
 * it, with its legacy spelling `Trust`.
 */
export interface OncAuthorityCertificate {
  GUID: string;
  Type: 'Authority' | 'Server';
  X509: Buffer;
}

/**
 * An ONC `Certificates[]` entry for a client identity (docs/formats.md §3.2): `PKCS12` is the PKCS#12 (base64 on the
 * wire) whose passphrase "must be empty" (ONC). The codec cannot check the passphrase (no crypto here); the
 * device agent does when it opens the PKCS#12.
 */
export interface OncClientCertificate {
  GUID: string;
  Type: 'Client';
  PKCS12: Buffer;
}

/** Any ONC certificate entry. */
export type OncCertificate = OncAuthorityCertificate | OncClientCertificate;

/**
 * `Policy.openNetworkConfiguration` (docs/formats.md §3.1): ONC top-level object. `Type` is omitted or
 * `UnencryptedConfiguration` (AMAPI-NET). `NetworkConfigurations` is carried as opaque JSON; the device checks
 * each network when it applies the policy (agent/platforms/android/onc-networks.ts).
 */
export interface OpenNetworkConfiguration {
  Type?: 'UnencryptedConfiguration';
  NetworkConfigurations?: unknown[];
  Certificates: OncCertificate[];
}

/** Who may use an installed key pair: user approval (Intune default) or silently for listed packages. */
export type KeyPairAccess = { type: 'USER_APPROVAL' } | { type: 'SILENT'; packages: string[] };

/** At most this many packages in a SILENT access rule (certfleet's limit; no source documents one). */
export const MAX_SILENT_PACKAGES = 50;

/** Install the ONC Authority entry `certificateGuid` as a user CA (DPM `installCaCert`, docs/formats.md §3.3). */
export interface InstallCaCertCommand {
  type: 'INSTALL_CA_CERT';
  certificateGuid: string;
}

/**
 * Install the ONC Client entry `pkcs12Guid` as a key pair under `alias` (DPM `installKeyPair`, docs/formats.md §3.3),
 * with its access rule (docs/formats.md §3.4).
 */
export interface InstallKeyPairCommand {
  type: 'INSTALL_KEY_PAIR';
  alias: string;
  pkcs12Guid: string;
  access: KeyPairAccess;
}

/** A DPC certificate command (certfleet extension); `ENROLL_SCEP` is in scep-command.ts. */
export type CertificateCommand = InstallCaCertCommand | InstallKeyPairCommand | EnrollScepCommand;

/** The policy a simulated Android Enterprise device receives (see the file comment for what is inferred). */
export interface AndroidPolicy {
  /** AMAPI `Policy.name`, e.g. `enterprises/LC00000000/policies/certfleet-0001`. */
  name?: string;
  /** AMAPI `Policy.version` (an int64, as a decimal string like AMAPI's JSON). */
  version?: string;
  /** AMAPI `Policy.privateKeySelectionEnabled` (docs/formats.md §3.1). */
  privateKeySelectionEnabled?: boolean;
  openNetworkConfiguration?: OpenNetworkConfiguration;
  /** certfleet extension: what the DPC installs through DevicePolicyManager. */
  certificateCommands?: CertificateCommand[];
}
