/**
 * The topic tree, one per tenant:
 *
 * ```
 * certfleet/{tenant}/device/{deviceId}/in/{format}/{profileId}/{threshold}   service → device: a native payload
 * certfleet/{tenant}/device/{deviceId}/in/remove/{profileId}                 service → device: remove a profile
 * certfleet/{tenant}/device/{deviceId}/in/enrolled                           service → device: management certificate (PEM)
 * certfleet/{tenant}/device/{deviceId}/out/{kind}[/{profileId}]              device → service: enroll, inventory,
 *                                                                             status (native reply), outcome, renew, checkin
 * certfleet/{tenant}/service/...                                             service-internal (connectors)
 * certfleet/{tenant}/clock/ctl                                               coordinator → hosts: start, step, probe, end
 * certfleet/{tenant}/clock/host/{hostId}/join                                host → coordinator: join the run
 * certfleet/{tenant}/clock/host/{hostId}/report                              host → coordinator: a wave's report, alive
 * ```
 * The `clock/` topics carry the fleet engine's clock protocol (clock-messages.ts, docs/architecture.md "The
 * fleet engine: one virtual clock across hosts"); an agent host may publish only under its own
 * `clock/host/{hostId}/` and read only `clock/ctl`.
 * The payload format and the profile it came from travel in the topic, not in MQTT 5 properties, so MQTT
 * 3.1.1 (what the embedded aedes broker speaks) carries everything. A device may publish only under its own
 * `device/{id}/out/#` and subscribe only to its own `device/{id}/in/#` (the broker's ACL enforces it).
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { PayloadFormat } from '../../profiles/compile/compile-types.ts';

/** What a device sends to the service. */
export type DeviceMessageKind = 'enroll' | 'inventory' | 'status' | 'outcome' | 'renew' | 'checkin';

const SEGMENT = /^[A-Za-z0-9._-]+$/;

function seg(value: string, what: string): string {
  if (!SEGMENT.test(value)) {
    throw new CertfleetError(
      'USAGE',
      `The ${what} '${value}' cannot be a topic segment: use letters, digits, . _ -.`,
    );
  }
  return value;
}

/** The root of a tenant's tree. */
export function tenantRoot(tenant: string): string {
  return `certfleet/${seg(tenant, 'tenant')}`;
}

/** Where the service publishes a native payload for a device. */
export function payloadTopic(t: {
  tenant: string;
  deviceId: string;
  format: PayloadFormat;
  profileId: string;
  threshold: number;
}): string {
  return `${tenantRoot(t.tenant)}/device/${seg(t.deviceId, 'device id')}/in/${t.format}/${seg(t.profileId, 'profile id')}/${t.threshold}`;
}

/** The device's inbox filter (what it subscribes to). */
export function deviceInbox(tenant: string, deviceId: string): string {
  return `${tenantRoot(tenant)}/device/${seg(deviceId, 'device id')}/in/#`;
}

/** Where the service answers an enrollment (the one inbox topic a not-yet-enrolled TLS device may read). */
export function enrolledTopic(tenant: string, deviceId: string): string {
  return `${tenantRoot(tenant)}/device/${seg(deviceId, 'device id')}/in/enrolled`;
}

/** Where a device publishes a message of `kind`. */
export function deviceOutTopic(
  tenant: string,
  deviceId: string,
  kind: DeviceMessageKind,
  profileId?: string,
): string {
  const base = `${tenantRoot(tenant)}/device/${seg(deviceId, 'device id')}/out/${kind}`;
  return profileId === undefined ? base : `${base}/${seg(profileId, 'profile id')}`;
}

/** Parsed form of any device topic. */
export type ParsedDeviceTopic =
  | {
      direction: 'in';
      deviceId: string;
      kind: 'payload';
      format: PayloadFormat;
      profileId: string;
      threshold: number;
    }
  | { direction: 'in'; deviceId: string; kind: 'remove'; profileId: string }
  | { direction: 'in'; deviceId: string; kind: 'enrolled' }
  | { direction: 'out'; deviceId: string; kind: DeviceMessageKind; profileId?: string };

const FORMATS: readonly string[] = ['mobileconfig', 'syncml', 'android-policy'];

/** Parses a device topic of `tenant`; undefined when it is not one. */
export function parseDeviceTopic(tenant: string, topic: string): ParsedDeviceTopic | undefined {
  const prefix = `${tenantRoot(tenant)}/device/`;
  if (!topic.startsWith(prefix)) return undefined;
  const [deviceId, direction, a, b, c, ...rest] = topic.slice(prefix.length).split('/');
  if (!deviceId || rest.length > 0) return undefined;
  if (direction === 'in') {
    if (a === 'enrolled' && b === undefined) return { direction, deviceId, kind: 'enrolled' };
    if (a === 'remove' && b && c === undefined) return { direction, deviceId, kind: 'remove', profileId: b };
    if (a && FORMATS.includes(a) && b && c && /^\d{1,2}$/.test(c)) {
      return {
        direction,
        deviceId,
        kind: 'payload',
        format: a as PayloadFormat,
        profileId: b,
        threshold: Number(c),
      };
    }
    return undefined;
  }
  if (
    direction === 'out' &&
    a &&
    ['enroll', 'inventory', 'status', 'outcome', 'renew', 'checkin'].includes(a) &&
    c === undefined
  ) {
    return b === undefined
      ? { direction, deviceId, kind: a as DeviceMessageKind }
      : { direction, deviceId, kind: a as DeviceMessageKind, profileId: b };
  }
  return undefined;
}

/** Where the coordinator publishes its clock control messages (start, step, probe, end) for every host. */
export function clockCtlTopic(tenant: string): string {
  return `${tenantRoot(tenant)}/clock/ctl`;
}

/** The topic prefix an agent host publishes under (its join and its reports). */
export function clockHostPrefix(tenant: string, hostId: string): string {
  return `${tenantRoot(tenant)}/clock/host/${seg(hostId, 'host id')}`;
}

/** Where agent host `hostId` announces itself (clock-messages.ts `join`). */
export function clockJoinTopic(tenant: string, hostId: string): string {
  return `${clockHostPrefix(tenant, hostId)}/join`;
}

/** Where agent host `hostId` reports (clock-messages.ts `report`, `alive`). */
export function clockReportTopic(tenant: string, hostId: string): string {
  return `${clockHostPrefix(tenant, hostId)}/report`;
}

/** What the coordinator subscribes to: every host's join and reports. */
export function clockHostsFilter(tenant: string): string {
  return `${tenantRoot(tenant)}/clock/host/+/+`;
}

/** Parsed form of a clock topic. */
export type ParsedClockTopic = { kind: 'ctl' } | { kind: 'join' | 'report'; hostId: string };

/** Parses a clock topic of `tenant`; undefined when it is not one. */
export function parseClockTopic(tenant: string, topic: string): ParsedClockTopic | undefined {
  const prefix = `${tenantRoot(tenant)}/clock/`;
  if (!topic.startsWith(prefix)) return undefined;
  const parts = topic.slice(prefix.length).split('/');
  if (parts.length === 1 && parts[0] === 'ctl') return { kind: 'ctl' };
  const [host, hostId, kind] = parts;
  if (parts.length === 3 && host === 'host' && hostId && SEGMENT.test(hostId)) {
    if (kind === 'join' || kind === 'report') return { kind, hostId };
  }
  return undefined;
}
