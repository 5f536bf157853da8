/**
 * What a device says about each payload it was given: a typed value (docs/architecture.md house rule 4), with a code from the
 * one closed list (pki/errors.ts), a message a person can act on, and the native status the real OS would
 * send (SyncML status + CSP Status node, Apple ErrorChain, Android non-compliance detail). Wire types: they travel
 * from device to service in an `OutcomeReport` (messages.ts).
 */
import type { ErrorCode } from '../../pki/errors.ts';
import type { Platform } from '../../profiles/model/platform.ts';

/** Success codes beside the error codes: installed, or a duplicate delivery that changed nothing. */
export type OutcomeCode = 'OK' | 'UNCHANGED' | ErrorCode;

/** The native status of one outcome, in the OS's own language. */
export type NativeStatus =
  | {
      platform: 'windows';
      /** The SyncML status code of the command that carried the payload (200, 216, 404, 405, 418, 500, 507…). */
      syncml: number;
      /** The PFXCertInstall/{id}/Status node value (GetLastError after PFXImportCertStore), when there is one. */
      cspStatus?: string;
      /** The Intune-side code (0x87D10000 + SyncML status, docs/errors.md §1.3). */
      intune?: string;
    }
  | {
      platform: 'macos' | 'ios';
      status: 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow';
      errorChain: { ErrorCode: number; ErrorDomain: string; LocalizedDescription: string }[];
    }
  | {
      platform: 'android';
      /**
       * Device administrator only (OMA-DM through the Company Portal, not AMAPI): the SyncML status of the command
       * and the per-device status the Intune admin center shows (docs/errors.md §3.5). Never set with nonCompliance.
       */
      deviceAdmin?: { syncml: number; console: 'Succeeded' | 'Error' | 'Pending' | 'Not applicable' };
      /** AMAPI NonComplianceDetail for this setting, absent when compliant (Android Enterprise only). */
      nonCompliance?: {
        settingName: string;
        nonComplianceReason: string;
        specificNonComplianceReason?: string;
        fieldPath?: string;
      };
    };

/** The outcome of one payload on one device. */
export interface InstallOutcome {
  device: string;
  platform: Platform;
  /** The payload's identifier: Apple PayloadIdentifier, Windows LocURI/UniqueID, Android certificate GUID. */
  payload: string;
  status: 'installed' | 'failed' | 'skipped';
  code: OutcomeCode;
  message: string;
  /** Where in the payload the problem is (plist key path, SyncML element path, JSON path), when known. */
  path?: string;
  /** Every decode problem behind a refusal, each with its own path (a strict decode reports them all). */
  problems?: { code: string; path: string; message: string }[];
  native: NativeStatus;
}
