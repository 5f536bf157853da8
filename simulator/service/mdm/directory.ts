/**
 * The tenant directory the MDM service reads besides the device's own inventory: the simulator's stand-in
 * for Microsoft Entra ID (users and device objects, on-premises attributes synchronised by Entra Connect)
 * and for Intune's own device record. A device never reports its user's UPN, e-mail or on-premises DN/SAM/SID
 * — the service takes them from the directory (docs/formats.md §5.1: user variables read "the enrolled user's
 * Entra attributes"; on-premises ones "need Entra Connect sync", SCEPDOC).
 *
 * Plain data: the service never sees a simulated device. The fleet builds one {@link DirectoryEntry} per
 * device (keyed by device id; simulator/fleet/directory-entry.ts `directoryEntryOf`) and hands the map to
 * the service.
 */

/** A user object in Entra ID (absent fields: the attribute is empty in the directory). */
export interface DirectoryUser {
  /** `{{UserName}}`: the user name, such as `janedoe`. */
  userName?: string;
  userPrincipalName?: string;
  /** Entra `mail`. */
  mail?: string;
  department?: string;
  /** Present only for users synchronised from on-premises AD by Entra Connect. */
  onPremises?: {
    distinguishedName?: string;
    samAccountName?: string;
    /**
     * Entra `onPremisesSecurityIdentifier`: the user's AD SID (`{{OnPremisesSecurityIdentifier}}`, and the SID a
     * connector with its SID setting on writes in the KB5014754 extension, docs/formats.md §5.3).
     */
    sid?: string;
  };
}

/** What Entra ID and Intune's device record know about one device. */
export interface DirectoryEntry {
  /**
   * Intune device ID (`{{DeviceId}}`): undefined → the id the device enrols with; null → none recorded.
   */
  intuneDeviceId?: string | null;
  /** Entra device object ID (`{{AAD_Device_ID}}`). */
  entraDeviceId?: string;
  /**
   * Intune's managed-device name, used when the inventory carries none (an AMAPI device report has no
   * device name: Intune names Android Enterprise devices itself).
   */
  deviceName?: string;
  /** The AD computer account SID (hybrid-joined Windows devices). */
  deviceSid?: string;
  /** OS version recorded when the device first enrolled (Android 12 work-profile rule), when it differs. */
  enrolledOsVersion?: string;
  /** The primary user; null for a user-less device (Android dedicated, kiosk). */
  user: DirectoryUser | null;
  /** Group tags the device belongs to (Entra dynamic groups, device categories, scope tags). */
  tags?: string[];
  /** The user the device-limit restriction counts against (default: the user's UPN). */
  limitKey?: string;
}

/** The directory: entries by device id. */
export type Directory = ReadonlyMap<string, DirectoryEntry>;
