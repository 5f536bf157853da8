/**
 * Reading a device file for `certfleet profile compile --device FILE`: the JSON `certfleet device new --json`
 * prints (agent/device/device-report.ts `DeviceReport`: `{device, inventory}`), or a bare device object.
 *
 * The variables are resolved from what the real service reads: the device's native `inventory` (Windows
 * OMA-DM nodes, Apple DeviceInformation, Android report) through simulator/service/mdm factsFromInventory —
 * the same function the MDM service uses at enrollment — with the tenant directory's view (user attributes,
 * Entra/Intune ids, computer SID) taken from the device record (simulator/fleet directoryEntryOf). Edit the inventory and the
 * compiled payload changes as it would for a live device. A file without `inventory` (a bare device object)
 * falls back to the device's `attributes` and `absent` (agent/device toDeviceFacts).
 *
 * A tool, not part of the service: it joins a simulated device (agent/) with the service's reading of an
 * inventory, which simulator/service/ itself may not do (it never imports the agent).
 */
import { CertfleetError, isCertfleetError } from '../../pki/errors.ts';
import type { Device } from '../../agent/device/device.ts';
import { toDeviceFacts } from '../../agent/device/facts.ts';
import { ABSENCE_REASONS, ATTRIBUTE_NAMES } from '../../profiles/variables/facts.ts';
import type { DeviceFacts } from '../../profiles/variables/facts.ts';
import { isEnrollmentKindOf, isPlatform } from '../../profiles/model/platform.ts';
import { directoryEntryOf } from '../fleet/directory-entry.ts';
import { factsFromInventory } from '../service/mdm/facts-from-inventory.ts';
import { readTextFile } from './profile-file.ts';

/** A device read from a file, and the resolver's view of it. */
export interface LoadedDevice {
  device: Device;
  facts: DeviceFacts;
  /** Where the facts came from: the native inventory (as the service reads it) or the device's attributes. */
  factsFrom: 'inventory' | 'attributes';
}

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses device JSON and checks the fields the service reads (platform, enrollment kind, OS versions, user,
 * attributes, absence reasons).
 *
 * @throws CertfleetError DEVICE_FILE_INVALID naming every bad field
 */
export function parseDeviceText(text: string, source: string): LoadedDevice {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CertfleetError('DEVICE_FILE_INVALID', `${source} is not JSON: ${(cause as Error).message}.`, {
      cause,
    });
  }
  const d = isRecord(json) && isRecord(json['device']) ? json['device'] : json;
  const problems: string[] = [];
  if (!isRecord(d)) {
    problems.push('it must be an object (the output of `certfleet device new --json`)');
  } else {
    if (!isPlatform(d['platform'])) problems.push('device.platform must be windows, macos, ios or android');
    else if (!isEnrollmentKindOf(d['platform'], d['enrollmentKind']))
      problems.push(`device.enrollmentKind is not an enrollment kind of ${d['platform']}`);
    for (const k of ['osVersion', 'enrolledOsVersion', 'id'] as const)
      if (typeof d[k] !== 'string') problems.push(`device.${k} must be a string`);
    if (d['user'] !== null && !isRecord(d['user'])) problems.push('device.user must be an object or null');
    const attrs = d['attributes'];
    if (!isRecord(attrs)) problems.push('device.attributes must be an object');
    else
      for (const [k, v] of Object.entries(attrs)) {
        if (!(ATTRIBUTE_NAMES as readonly string[]).includes(k))
          problems.push(`device.attributes.${k} is not a device attribute`);
        else if (typeof v !== 'string') problems.push(`device.attributes.${k} must be a string`);
      }
    const absent = d['absent'];
    if (!isRecord(absent)) problems.push('device.absent must be an object');
    else
      for (const [k, v] of Object.entries(absent)) {
        if (!(ATTRIBUTE_NAMES as readonly string[]).includes(k))
          problems.push(`device.absent.${k} is not a device attribute`);
        else if (!(ABSENCE_REASONS as readonly unknown[]).includes(v))
          problems.push(`device.absent.${k} must be one of ${ABSENCE_REASONS.join(', ')}`);
      }
  }
  if (problems.length > 0) {
    throw new CertfleetError(
      'DEVICE_FILE_INVALID',
      `${source} is not a device as \`certfleet device new --json\` prints it:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      { details: { problems } },
    );
  }
  const device = d as unknown as Device;
  const inventory = isRecord(json) && isRecord(json['device']) ? json['inventory'] : undefined;
  if (inventory === undefined) return { device, facts: toDeviceFacts(device), factsFrom: 'attributes' };
  try {
    const facts = factsFromInventory(
      device.platform,
      device.enrollmentKind,
      inventory,
      directoryEntryOf(device),
      device.id,
    );
    return { device, facts, factsFrom: 'inventory' };
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    throw new CertfleetError('DEVICE_FILE_INVALID', `${source}: ${e.message}`, {
      cause: e,
      details: e.details,
    });
  }
}

/** Reads and parses a device file. */
export function loadDeviceFile(file: string): LoadedDevice {
  return parseDeviceText(readTextFile(file, 'device'), file);
}
