/**
 * Why each absent attribute of a planned device is absent, as reports group failures by it (issue 13
 * point 3): the platform never has it, the enrollment kind hides it, the OS version hides it, the hardware
 * lacks it (no modem, no Wi-Fi), the user is not synchronised — or the scenario itself removed it
 * (`fleet.missing`). The first three come from the availability rules the device was generated with
 * (agent/device/availability.ts), re-applied to the device's own facts; the last from the device's plan.
 */
import {
  absenceRule,
  AVAILABILITY_RULES,
  type AvailabilityContext,
} from '../../agent/device/availability.ts';
import type { AbsenceReason, AttributeName, Device } from '../../agent/device/device.ts';

export type { AbsenceCause, AbsenceSource } from '../run-model.ts';
import type { AbsenceCause, AbsenceSource } from '../run-model.ts';
import type { DevicePlan } from './plan-fleet.ts';
import type { FleetSpec } from './types.ts';

/** Each availability rule's source and short text (a test checks every rule has one). */
export const RULE_CAUSES: Readonly<Record<string, { source: AbsenceSource; text: string }>> = {
  'udid-apple-only': { source: 'platform', text: 'only Apple devices have a UDID' },
  'fqdn-windows-only': {
    source: 'platform',
    text: 'only Windows devices have a fully qualified domain name',
  },
  'device-sid-windows-only': { source: 'platform', text: 'only Windows devices have a computer account SID' },
  'imei-meid-not-on-macos': {
    source: 'platform',
    text: 'macOS reports no IMEI or MEID (Macs have no modem)',
  },
  'user-less': { source: 'enrollment-kind', text: 'a user-less enrollment: the device has no user' },
  'cloud-only-user': {
    source: 'user',
    text: 'the user is cloud-only (not synchronised from on-premises Active Directory)',
  },
  'no-cellular': { source: 'hardware', text: 'no cellular modem (a Wi-Fi-only model)' },
  'no-cdma': { source: 'hardware', text: 'no CDMA modem' },
  'no-wifi': { source: 'hardware', text: 'no Wi-Fi radio (a wired model)' },
  'android12-work-profile': {
    source: 'os-version',
    text: 'a personally-owned work profile enrolled on Android 12 or later (Android hides serial, IMEI and MEID)',
  },
  'apple-user-enrollment': {
    source: 'enrollment-kind',
    text: 'Apple User Enrollment hides hardware identifiers',
  },
  'fqdn-not-domain-joined': {
    source: 'enrollment-kind',
    text: 'not joined to an on-premises domain (only hybrid-joined PCs have an FQDN)',
  },
  'device-sid-not-hybrid': {
    source: 'enrollment-kind',
    text: 'not Microsoft Entra hybrid joined (no computer account SID)',
  },
};

/** The facts the availability rules look at, read back from a generated device. */
export function availabilityContextOf(device: Device): AvailabilityContext {
  return {
    platform: device.platform,
    enrollmentKind: device.enrollmentKind,
    enrolledOsVersion: device.enrolledOsVersion,
    hasUser: device.user !== null,
    userSynced: device.user?.synced ?? false,
    cellular: device.cellular,
    cdma: device.hardware.cdma,
    wifi: device.hardware.wifi,
  };
}

/**
 * The availability context of a device as a run database records it (`DeviceRecord`: its platform, kind and
 * facts), for readers after the run (`show device`); undefined when the record lacks a fact the rules read.
 */
export function availabilityContextOfRecord(record: {
  platform: Device['platform'];
  kind: Device['enrollmentKind'];
  facts: Record<string, unknown>;
}): AvailabilityContext | undefined {
  const f = record.facts;
  const hardware = f.hardware as Record<string, unknown> | undefined;
  const user = f.user as { synced?: unknown } | null | undefined;
  if (
    typeof f.enrolledOsVersion !== 'string' ||
    typeof f.cellular !== 'boolean' ||
    typeof hardware?.cdma !== 'boolean' ||
    typeof hardware.wifi !== 'boolean' ||
    user === undefined
  ) {
    return undefined;
  }
  return {
    platform: record.platform,
    enrollmentKind: record.kind,
    enrolledOsVersion: f.enrolledOsVersion,
    hasUser: user !== null,
    userSynced: user?.synced === true,
    cellular: f.cellular,
    cdma: hardware.cdma,
    wifi: hardware.wifi,
  };
}

/**
 * The short text of the availability rule that makes `attribute` absent on a recorded device (as the
 * failure summary names it: "Apple User Enrollment hides hardware identifiers"), or undefined when no rule
 * does (the device did not report it, or the scenario removed it) or the record cannot say.
 */
export function recordedAbsenceText(
  record: Parameters<typeof availabilityContextOfRecord>[0],
  attribute: AttributeName,
): string | undefined {
  const context = availabilityContextOfRecord(record);
  const rule = context === undefined ? undefined : absenceRule(context, attribute);
  return rule === undefined ? undefined : (RULE_CAUSES[rule.id]?.text ?? rule.explanation);
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}

/**
 * Why each absent attribute of `device` is absent. An availability rule wins over the scenario's
 * `fleet.missing` (a Mac has no IMEI whether or not the scenario removes it); an absence neither explains
 * is the device's own (`device`: it did not report it).
 */
export function absenceCausesOf(
  device: Device,
  plan?: Pick<DevicePlan, 'generate'>,
  missing: FleetSpec['missing'] = {},
): Partial<Record<AttributeName, AbsenceCause>> {
  const context = availabilityContextOf(device);
  const forced = plan?.generate.overrides?.attributes ?? {};
  const out: Partial<Record<AttributeName, AbsenceCause>> = {};
  for (const [attribute, reason] of Object.entries(device.absent) as [AttributeName, AbsenceReason][]) {
    const rule = absenceRule(context, attribute);
    if (rule !== undefined) {
      const known = RULE_CAUSES[rule.id];
      out[attribute] = {
        reason,
        source: known?.source ?? 'device',
        rule: rule.id,
        text: known?.text ?? rule.explanation,
      };
    } else if (forced[attribute] === null) {
      const share = missing[attribute];
      out[attribute] = {
        reason,
        source: 'scenario',
        rule: `fleet.missing.${attribute}`,
        text: `removed by the scenario (fleet.missing.${attribute}${share === undefined ? '' : `: ${percent(share)} of devices`})`,
      };
    } else {
      out[attribute] = {
        reason,
        source: 'device',
        rule: 'not-reported',
        text: 'the device did not report it',
      };
    }
  }
  return out;
}

/** Every availability rule id (for the table test). */
export const AVAILABILITY_RULE_IDS: readonly string[] = AVAILABILITY_RULES.map((r) => r.id);
