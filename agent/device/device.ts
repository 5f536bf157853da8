/**
 * The simulated device: what it is (platform, enrollment, hardware, OS, user) and the attribute values it
 * can report, each either present or absent with a reason (issue 4 "Devices and their attributes").
 *
 * Attribute names and absence reasons are the resolver's own ({@link AttributeName}, {@link AbsenceReason}
 * in profiles/variables/facts.ts), so a device's attributes feed certificate variables without translation.
 * Every attribute of {@link ATTRIBUTE_NAMES} is in exactly one of `attributes` (a value) or `absent`
 * (a reason): nothing is missing by accident.
 */
import type { EnrollmentKind, Platform } from '../../profiles/model/platform.ts';
import type { AbsenceReason, AttributeName } from '../../profiles/variables/facts.ts';
import type { FormFactor } from './hardware-catalog.ts';
import type { Manufacturer } from './vendors.ts';

export type { AbsenceReason, AttributeName } from '../../profiles/variables/facts.ts';
export { ABSENCE_REASONS, ATTRIBUTE_NAMES } from '../../profiles/variables/facts.ts';

/** Who owns the device (Intune "ownership"; AMAPI `ownership` COMPANY_OWNED / PERSONALLY_OWNED). */
export type Ownership = 'corporate' | 'personal';

/** Apple devices renew certificates only when unlocked (SCEPDOC); other platforms are always `unlocked`. */
export type LockState = 'locked' | 'unlocked';

/** The organisation a fleet belongs to: its Entra tenant and (for hybrid identities) its AD domain. */
export interface Tenant {
  /** Entra tenant ID (GUID). */
  readonly tenantId: string;
  /** Verified domain users sign in with (`contoso.com`). */
  readonly domain: string;
  /** On-premises AD DNS domain (`corp.contoso.com`). */
  readonly adDomain: string;
  /** AD NetBIOS domain name (`CONTOSO`). */
  readonly netbiosName: string;
  /** Domain SID prefix (`S-1-5-21-x-y-z`); user and computer SIDs append a RID. */
  readonly domainSid: string;
}

/**
 * The device's primary user. On-premises attributes exist only for users synchronised from AD by Entra
 * Connect (SCEPDOC: `{{OnPrem_Distinguished_Name}}` "needs Entra Connect sync").
 */
export interface DeviceUser {
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly mail: string;
  /** `{{UserName}}`: the user name, such as `janedoe` (SCEPDOC). */
  readonly userName: string;
  readonly department: string;
  /** True when the user is synchronised from on-premises AD (hybrid identity). */
  readonly synced: boolean;
  /** Present only for synced users. */
  readonly onPremises?: {
    readonly distinguishedName: string;
    readonly samAccountName: string;
    readonly sid: string;
  };
}

/** Hardware details beyond the attributes. */
export interface DeviceHardware {
  /** Stable catalogue key of the model (hardware-catalog.ts). */
  readonly modelId: string;
  /** Windows SMBIOS product, Apple product identifier (`iPhone16,1`), Android codename. */
  readonly productName: string;
  readonly formFactor: FormFactor;
  readonly wifi: boolean;
  /** Modem speaks CDMA (then the device has an MEID). */
  readonly cdma: boolean;
  /** Apple `ModelName` and region model number; Android brand and board. */
  readonly modelName?: string;
  readonly modelNumber?: string;
  readonly appleSilicon?: boolean;
  readonly brand?: string;
  readonly board?: string;
  /** Windows: firmware (BIOS) version and RAM in MB. */
  readonly firmwareVersion?: string;
  readonly ramMb?: number;
  /** The S.R0048 check digit of the MEID (printed on labels, not reported). */
  readonly meidCheckDigit?: string;
  /** Mobile subscriber identity of the SIM (cellular devices). */
  readonly imsi?: string;
}

/** One simulated device. JSON-serialisable; generation is deterministic byte for byte. */
export interface Device {
  /** certfleet's id for the device (a GUID drawn from the seed; equals the Intune device ID unless overridden). */
  readonly id: string;
  /** The seed and index it was generated from. */
  readonly seed: string;
  readonly index: number;
  readonly platform: Platform;
  readonly enrollmentKind: EnrollmentKind;
  /** Apple supervision (device enrollment only); false on other platforms. */
  readonly supervised: boolean;
  readonly ownership: Ownership;
  readonly manufacturer: Manufacturer;
  readonly model: string;
  /** Current OS version (`10.0.22631.4037`, `17.5.1`, `14`). */
  readonly osVersion: string;
  /** Apple `BuildVersion`, Android build id, Windows release (`23H2`). */
  readonly osBuild: string;
  /** Windows edition (`Enterprise`, `Pro`); Android security patch level; undefined elsewhere. */
  readonly osEdition?: string;
  /** OS version when the device enrolled (Android 12 rule: PFXDOC "enrolled on 12+"). */
  readonly enrolledOsVersion: string;
  /** Windows: a TPM is present and usable; false on other platforms. */
  readonly tpm: boolean;
  /**
   * Windows: Windows Hello for Business is provisioned for the user (a Passport key container exists), so
   * KeyLocation 4 can hold a key; false on other platforms. Without it, "Windows Hello, otherwise fail"
   * fails (docs/errors.md §5.2).
   */
  readonly windowsHello: boolean;
  /** Has a cellular modem (then an IMEI). */
  readonly cellular: boolean;
  readonly lockState: LockState;
  readonly hardware: DeviceHardware;
  readonly tenant: Tenant;
  /** The primary user, or null for a user-less device (Android dedicated). */
  readonly user: DeviceUser | null;
  /** Values of the attributes the device reports. */
  readonly attributes: Readonly<Partial<Record<AttributeName, string>>>;
  /** Why each other attribute is absent. */
  readonly absent: Readonly<Partial<Record<AttributeName, AbsenceReason>>>;
}
