/**
 * Strict decoding of the JSON messages a device and the service exchange (messages.ts): what the service
 * takes in on a device's `out/…` topics and what a device takes in on `in/enrolled`. The broker's ACL lets a
 * device publish only on its own topics, but what it publishes there is anything: each key the handlers read
 * is checked for its type here, so a malformed or hostile message becomes a {@link CertfleetError}
 * WIRE_MESSAGE_INVALID naming the key path — the service records it as an `invalid-message` event and
 * changes nothing — never a crash in a handler (issue 10 point 4; the fuzz suite drives both decoders).
 * Keys a handler does not read are left alone, so an agent of a later certfleet may add some.
 */
import { PLATFORMS, type EnrollmentKind, type Platform } from '../../profiles/model/platform.ts';
import { ALL_ENROLLMENT_KINDS } from '../../profiles/model/platform.ts';
import { readJsonObject, type JsonProtocol, type JsonReader } from './json-reader.ts';
import type {
  CheckIn,
  DeviceMessage,
  EnrollRequest,
  EnrollResponse,
  OutcomeReport,
  RenewRequest,
} from './messages.ts';
import type { InstallOutcome, NativeStatus } from './outcome.ts';

const DEVICE: JsonProtocol = { code: 'WIRE_MESSAGE_INVALID', label: 'A device message' };
const SERVICE: JsonProtocol = { code: 'WIRE_MESSAGE_INVALID', label: 'A service message' };

/** The kinds of device message that carry JSON (topics.ts `out/{kind}`). */
export type DeviceMessageKind = DeviceMessage['type'];

const OUTCOME_STATUSES = ['installed', 'failed', 'skipped'] as const;

/**
 * Decodes what a device published on `out/{kind}[/{profileId}]`.
 * @param where the topic, for messages.
 * @param topicDevice the device id the topic names: the message must carry the same.
 * @param topicProfile the profile id the topic names (outcome, renew): the message must carry the same.
 * @throws CertfleetError WIRE_MESSAGE_INVALID naming the key path.
 */
export function decodeDeviceMessage(
  where: string,
  kind: DeviceMessageKind,
  topicDevice: string,
  topicProfile: string | undefined,
  payload: Buffer,
): DeviceMessage {
  const r = readJsonObject(DEVICE, where, payload);
  if (r.obj.type !== kind) r.fail('type', `must be "${kind}", as the topic says`);
  const deviceId = r.string('deviceId');
  if (deviceId !== topicDevice) r.fail('deviceId', 'must be the device the topic names');
  const profileOf = (): string => {
    const profileId = r.string('profileId');
    if (profileId !== topicProfile) r.fail('profileId', 'must be the profile the topic names');
    return profileId;
  };
  switch (kind) {
    case 'enroll': {
      const platform = r.oneOf<Platform>('platform', PLATFORMS);
      const m: EnrollRequest = {
        type: 'enroll',
        deviceId,
        platform,
        kind: r.oneOf<EnrollmentKind>('kind', ALL_ENROLLMENT_KINDS),
        osVersion: r.string('osVersion'),
        ownership: r.oneOf('ownership', ['corporate', 'personal'] as const),
        inventory: r.object('inventory').obj,
        csr: r.string('csr'),
      };
      return m;
    }
    case 'checkin': {
      const m: CheckIn = { type: 'checkin', deviceId, at: r.string('at') };
      return m;
    }
    case 'outcome': {
      const profileId = profileOf();
      const list = r.array('outcomes');
      const outcomes = list.map((o, i) => readOutcome(r.element('outcomes', i, o)));
      const m: OutcomeReport = { type: 'outcome', deviceId, profileId, outcomes, at: r.string('at') };
      if (r.obj.trustChange !== undefined) {
        if (r.obj.trustChange !== true) r.fail('trustChange', 'must be true when present');
        m.trustChange = true;
      }
      return m;
    }
    case 'renew': {
      const m: RenewRequest = {
        type: 'renew',
        deviceId,
        profileId: profileOf(),
        // the SHA-1 of the certificate to renew; empty: whichever the device holds (handlers/renew.ts)
        thumbprint: r.text('thumbprint', /^[0-9A-Fa-f]{40}$/),
        notAfter: r.string('notAfter'),
        at: r.string('at'),
      };
      return m;
    }
  }
}

function readOutcome(o: JsonReader): InstallOutcome {
  const out: InstallOutcome = {
    device: o.string('device'),
    platform: o.oneOf<Platform>('platform', PLATFORMS),
    payload: o.string('payload'),
    status: o.oneOf('status', OUTCOME_STATUSES),
    code: o.string('code') as InstallOutcome['code'],
    message: o.text('message'),
    native: readNative(o.object('native')),
  };
  const path = o.optionalString('path');
  if (path !== undefined) out.path = path;
  if ('problems' in o.obj) {
    out.problems = o.array('problems').map((p, i) => {
      const pr = o.element('problems', i, p);
      return { code: pr.string('code'), path: pr.text('path'), message: pr.text('message') };
    });
  }
  return out;
}

/** The native status: its platform picks the shape; each key a report reads is checked. */
function readNative(n: JsonReader): NativeStatus {
  const platform = n.oneOf<Platform>('platform', PLATFORMS);
  switch (platform) {
    case 'windows': {
      const w: NativeStatus = { platform, syncml: n.int('syncml', 0) };
      const csp = n.optionalString('cspStatus');
      if (csp !== undefined) w.cspStatus = csp;
      const intune = n.optionalString('intune');
      if (intune !== undefined) w.intune = intune;
      return w;
    }
    case 'macos':
    case 'ios': {
      const status = n.oneOf('status', ['Acknowledged', 'Error', 'CommandFormatError', 'NotNow'] as const);
      const errorChain = n.array('errorChain').map((e, i) => {
        const er = n.element('errorChain', i, e);
        return {
          ErrorCode: er.instant('ErrorCode'),
          ErrorDomain: er.text('ErrorDomain'),
          LocalizedDescription: er.text('LocalizedDescription'),
        };
      });
      return { platform, status, errorChain };
    }
    case 'android': {
      const android: Extract<NativeStatus, { platform: 'android' }> = { platform };
      if ('deviceAdmin' in n.obj) {
        // device administrator: the SyncML status and the admin center's per-device status
        const d = n.object('deviceAdmin');
        android.deviceAdmin = {
          syncml: d.int('syncml', 0),
          console: d.oneOf('console', ['Succeeded', 'Error', 'Pending', 'Not applicable'] as const),
        };
      }
      if (!('nonCompliance' in n.obj)) return android;
      const c = n.object('nonCompliance');
      const nonCompliance: Extract<NativeStatus, { platform: 'android' }>['nonCompliance'] = {
        settingName: c.string('settingName'),
        nonComplianceReason: c.string('nonComplianceReason'),
      };
      const specific = c.optionalString('specificNonComplianceReason');
      if (specific !== undefined) nonCompliance.specificNonComplianceReason = specific;
      const fieldPath = c.optionalString('fieldPath');
      if (fieldPath !== undefined) nonCompliance.fieldPath = fieldPath;
      return { ...android, nonCompliance };
    }
  }
}

/**
 * Decodes the service's answer to an enrolment (`in/enrolled`).
 * @throws CertfleetError WIRE_MESSAGE_INVALID naming the key path.
 */
export function decodeEnrollResponse(where: string, topicDevice: string, payload: Buffer): EnrollResponse {
  const r = readJsonObject(SERVICE, where, payload);
  const type = r.oneOf('type', ['enrolled', 'enroll-refused'] as const);
  const deviceId = r.string('deviceId');
  if (deviceId !== topicDevice) r.fail('deviceId', 'must be the device the topic names');
  if (type === 'enroll-refused') {
    return { type, deviceId, code: r.string('code'), message: r.text('message') };
  }
  const chain = r.array('chain').map((c, i): string => {
    if (typeof c === 'string' && c !== '') return c;
    return r.fail(`chain[${i}]`, 'must be a non-empty string');
  });
  return { type, deviceId, certificate: r.string('certificate'), chain };
}
