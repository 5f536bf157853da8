/**
 * The one interface every platform implements (docs/architecture.md "How to add … a platform": one module per platform behind one interface,
 * listed in one table typed `satisfies Record<Platform, PlatformAdapter>` in agent/platforms/index.ts).
 *
 * An adapter receives only native payload bytes — never the abstract profile — decodes them as strictly as
 * the real OS, applies them to the device's stores with that OS's rules inside one transaction, and answers
 * in that OS's status language.
 */
import type { KeyObject } from 'node:crypto';
import type { Certificate } from '../pki/certificate.ts';
import type { KeyPair } from '../pki/keys.ts';
import type { PayloadFormat } from '../profiles/compile/compile-types.ts';
import type { Platform } from '../profiles/model/platform.ts';
import type { Device } from './device/device.ts';
import type { StoreDb, StoreItem } from './keystore/store-db.ts';
import type { Clock } from '../protocol/runtime/clock.ts';
import type { InstallOutcome } from '../protocol/wire/outcome.ts';
import type { Scheduler } from '../protocol/runtime/scheduler.ts';

/** The native payload formats, as `inspect` names them (defined with the compiler that produces them). */
export type { PayloadFormat };

/** The device's MDM identity (from enrollment): Windows decrypts PFX passwords encrypted to it. */
export interface ManagementIdentity {
  certificate: Certificate;
  privateKey: KeyObject;
}

/** Everything an install needs besides the payload bytes. */
export interface DeviceContext {
  device: Device;
  db: StoreDb;
  clock: Clock;
  /** Absent before enrollment (and in `inspect`). */
  identity?: ManagementIdentity;
  /** Where the device's SCEP keys come from (RSA of `bits`); default: made on the spot with node:crypto. */
  scepKey?: (bits: number) => Promise<KeyPair>;
  /**
   * Work a delivery leaves running on the device, on the device's clock (a Windows SCEP enrolment after the
   * `Enroll` Exec, agent/platforms/windows/scep-apply.ts). Absent where nothing runs later (`inspect`).
   */
  background?: {
    scheduler: Scheduler;
    /** Opens a session with the service now (the agent's check-in). */
    checkIn: () => Promise<void>;
  };
}

/**
 * Facts that travel with a payload in the transport envelope (the MQTT topic), not inside the native bytes:
 * the real OS never sees them, but the simulated device needs them to renew and to report.
 */
export interface DeliveryMeta {
  /** The certfleet/Intune profile id the payload was compiled from. */
  profileId?: string;
  /** Renewal threshold in percent of validity remaining (1–99; 20 when absent). */
  renewalThreshold?: number;
  /** Apple: the InstallProfile command's CommandUUID, echoed in the response. */
  commandUuid?: string;
}

/** What one delivery produced: one outcome per payload, and the native reply the device sends back. */
export interface DeliveryResult {
  outcomes: InstallOutcome[];
  /** SyncML reply message, Apple command-response plist, or Android compliance report JSON. */
  reply: Buffer;
}

/** A certificate the device holds, as `inspect` and `show device` list it. */
export interface HeldCertificate {
  kind: 'root' | 'intermediate' | 'identity';
  subject: string;
  issuer: string;
  notAfter: string;
  thumbprint: string;
  store: string;
  /** What installed it (profile / node / GUID). */
  ref: string;
  /** False when the platform installed it but does not trust it (no chain to an installed root). */
  trusted: boolean;
}

/** One platform's device behaviour. */
export interface PlatformAdapter {
  readonly platform: Platform;
  /** The native format this platform receives. */
  readonly format: PayloadFormat;
  /** Decodes `payload` strictly and installs it, all or nothing, answering as the OS would. Never throws for bad input. */
  deliver(ctx: DeviceContext, payload: Buffer, meta?: DeliveryMeta): DeliveryResult;
  /**
   * The same, for a platform that does network work before it answers (an Apple SCEP payload enrols first);
   * the agent uses it when present. `deliver` then refuses what needs the network as not simulated.
   */
  deliverAsync?(ctx: DeviceContext, payload: Buffer, meta?: DeliveryMeta): Promise<DeliveryResult>;
  /** Removes what a profile/node installed (Apple RemoveProfile, SyncML Delete, Android policy without it). */
  remove(ctx: DeviceContext, ref: string): InstallOutcome;
  /** The certificates the device holds; `view: 'user'` hides what the OS hides from the device user. */
  held(ctx: DeviceContext, view: 'admin' | 'user'): HeldCertificate[];
}

/** Turns a stored certificate item into a {@link HeldCertificate}. */
export function heldFromItem(item: StoreItem, kind: HeldCertificate['kind']): HeldCertificate {
  return {
    kind,
    subject: item.subject,
    issuer: item.issuer,
    notAfter: item.notAfter,
    thumbprint: item.thumbprint,
    store: item.store,
    ref: item.ref,
    trusted: item.attrs.trusted !== false,
  };
}
