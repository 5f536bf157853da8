/**
 * The inventory a device reports, as it travels in an `EnrollRequest` (messages.ts): one wire shape per
 * platform family, tagged by `shape`. Types only — the device side builds inventories (agent/device/inventory*.ts,
 * from a simulated `Device`), the service side reads them (simulator/service/mdm/facts-from-inventory.ts); this
 * file is what both agree on, in the neutral protocol/ layer.
 *
 * - Windows: the OMA-DM nodes the device answers, keyed by LocURI, each a value (SyncML Status 200 with the
 *   Item's Format and Data) or explicitly absent (Status 404 Not Found, with certfleet's reason). Node list:
 *   docs/formats.md §2.6.
 * - macOS and iOS: the `QueryResponses` of a DeviceInformation command (Apple device-management schema,
 *   github.com/apple/device-management `mdm/commands/information.device.yaml`); a key the device cannot answer
 *   is simply missing.
 * - Android: the Android Management API `Device` resource (AMAPI-DISC, docs/formats.md sources;
 *   developers.google.com/android/management/reference/rest/v1/enterprises.devices), plus Intune's enrollment
 *   type; absent attributes are simply missing fields.
 */
import type { AbsenceReason } from '../../profiles/variables/facts.ts';

// --- Windows (OMA-DM) -------------------------------------------------------------------------------------

/** SyncML Item Meta/Format of a node value (OMA-DM: chr, int, bool, b64, xml, node). */
export type OmaDmFormat = 'chr' | 'int' | 'bool' | 'b64' | 'xml' | 'node';

/** The answer to a Get on one node. */
export type OmaDmNode =
  | { readonly status: 200; readonly format: OmaDmFormat; readonly value: string }
  | {
      readonly status: 404;
      readonly reason: AbsenceReason;
      /** Why this node in particular is absent, when the reason alone does not say (source cited). */
      readonly note?: string;
    };

/** Node answers keyed by LocURI (`./DevInfo/DevId`, `./Vendor/MSFT/DeviceStatus/DomainName`…). */
export type WindowsInventory = Readonly<Record<string, OmaDmNode>>;

// --- Apple (DeviceInformation) ----------------------------------------------------------------------------

/** DeviceInformation `QueryResponses` (the keys certfleet models). */
export interface AppleDeviceInformation {
  UDID?: string;
  SerialNumber?: string;
  IMEI?: string;
  MEID?: string;
  WiFiMAC?: string;
  DeviceName: string;
  Model: string;
  ModelName: string;
  ModelNumber?: string;
  ProductName: string;
  OSVersion: string;
  BuildVersion: string;
  IsSupervised: boolean;
  /** iOS: 0 none, 1 GSM, 2 CDMA, 3 GSM and CDMA (ADM CellularTechnology). */
  CellularTechnology?: number;
  /** macOS 12+. */
  IsAppleSilicon?: boolean;
}

// --- Android (AMAPI Device) -------------------------------------------------------------------------------

/** AMAPI `ManagementMode`. */
export type AndroidManagementMode = 'DEVICE_OWNER' | 'PROFILE_OWNER';
/** AMAPI `Ownership`. */
export type AndroidOwnership = 'COMPANY_OWNED' | 'PERSONALLY_OWNED';

/** The device report (a subset of the AMAPI `Device` resource, plus Intune's enrollment type). */
export interface AndroidDeviceReport {
  hardwareInfo: {
    brand: string;
    hardware: string;
    manufacturer: string;
    model: string;
    serialNumber?: string;
    enterpriseSpecificId?: string;
  };
  networkInfo: { imei?: string; meid?: string; wifiMacAddress?: string };
  softwareInfo: { androidVersion: string; androidBuildNumber: string };
  /** Device admin enrollments are not AMAPI devices: certfleet reports them without a management mode. */
  managementMode?: AndroidManagementMode;
  ownership: AndroidOwnership;
  /** certfleet's enrollment kind (Intune's "enrollment type"). */
  enrollmentType: string;
}

// --- the tagged union ---------------------------------------------------------------------------------------

/** An inventory, tagged with its shape. */
export type Inventory =
  | { readonly shape: 'windows-omadm'; readonly nodes: WindowsInventory }
  | { readonly shape: 'apple-device-information'; readonly queryResponses: AppleDeviceInformation }
  | { readonly shape: 'android-device'; readonly device: AndroidDeviceReport };
