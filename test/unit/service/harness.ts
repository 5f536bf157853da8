/**
 * A small world for the service tests: a CA (pool keys) in a temporary folder, a VirtualClock, the loopback
 * bus, the MDM service, N connectors (pool keys, no RSA generation), and scripted fake devices that enrol
 * with a real CSR and answer payloads as the test tells them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Device } from '../../../agent/device/device.ts';
import { generateDevice, type GenerateDeviceOptions } from '../../../agent/device/generate.ts';
import { inventoryOf } from '../../../agent/device/inventory.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';
import type {
  EnrollRequest,
  EnrollResponse,
  OutcomeReport,
  RenewRequest,
} from '../../../protocol/wire/messages.ts';
import { deviceInbox, deviceOutTopic, parseDeviceTopic } from '../../../protocol/wire/topics.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { createCsr, parseCertificate, type Certificate, type KeyPair } from '../../../pki/index.ts';
import { FixedKeySource, type KeySource } from '../../../pki/key-factory.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import type {
  CertificateProfile,
  PkcsCertificateProfile,
  TrustedCertificateProfile,
} from '../../../profiles/model/profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import {
  CertificateConnector,
  type CertificateConnectorOptions,
} from '../../../simulator/service/connector/certificate-connector.ts';
import { PfxConnector } from '../../../simulator/service/connector/pfx-connector.ts';
import type { ProfileAssignment } from '../../../simulator/service/mdm/assignment.ts';
import { directoryEntryOf } from '../../../simulator/fleet/directory-entry.ts';
import type { DirectoryEntry } from '../../../simulator/service/mdm/directory.ts';
import type { EnrollmentRestrictions } from '../../../simulator/service/mdm/enrollment-restrictions.ts';
import { MdmService, type MdmServiceOptions } from '../../../simulator/service/mdm/mdm-service.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { LoopbackBus } from './loopback-transport.ts';

export const TENANT = 'contoso';
export const START = new Date('2026-03-01T08:00:00Z');

/** Validates plain profile data. */
export function profileOf<P extends CertificateProfile>(input: Record<string, unknown>): P {
  const r = validateProfile(input);
  if (!r.ok) throw new Error(`fixture profile invalid: ${JSON.stringify(r.problems)}`);
  return r.value as P;
}

/** A trusted-root profile of `family` carrying `rootDer`. */
export function trusted(family: ProfileFamily, rootDer: Uint8Array): TrustedCertificateProfile {
  return profileOf({
    kind: 'trusted-certificate',
    family,
    displayName: `Root (${family})`,
    certFileName: 'root.cer',
    certificate: new Uint8Array(rootDer),
  });
}

/** A user PKCS profile of `family` from template CertfleetUser; `subject` overrides the custom subject. */
export function pkcs(family: ProfileFamily, extra: Record<string, unknown> = {}): PkcsCertificateProfile {
  const subject =
    family === 'android-device-admin'
      ? { subjectNameFormat: 'commonName' }
      : { subjectNameFormat: 'custom', subjectNameFormatString: 'CN={{UserName}},O=Contoso' };
  return profileOf({
    kind: 'pkcs-certificate',
    family,
    displayName: `Wi-Fi (${family})`,
    certificationAuthority: 'ca01.certfleet.test\\Certfleet Issuing CA',
    certificationAuthorityName: 'Certfleet Issuing CA',
    certificateTemplateName: 'CertfleetUser',
    certificateType: 'user',
    subjectAlternativeNameType: ['userPrincipalName'],
    ...(family === 'windows' && { keyStorageProvider: 'useSoftwareKsp' }),
    ...subject,
    ...extra,
  });
}

/** Everyone gets it (the family filter still applies). */
export function toAll(name: string, profile: CertificateProfile): ProfileAssignment {
  return { name, profile, include: [{}] };
}

/** What a fake device does with a payload. */
export type Answer = 'install' | 'silent' | ((profileId: string, payload: Buffer) => InstallOutcome[]);

/** A scripted device: enrols with a real CSR, records what it receives, answers as told. */
export class FakeDevice {
  readonly received: { topic: string; payload: Buffer }[] = [];
  certificate: Certificate | undefined;
  refusal: { code: string; message: string } | undefined;
  answer: Answer = 'install';
  #transport: Transport;
  #enrollRequest: EnrollRequest | undefined;

  constructor(
    readonly device: Device,
    bus: LoopbackBus,
    readonly key: KeyPair,
  ) {
    this.#transport = bus.transport(`device-${device.id}`);
  }

  get id(): string {
    return this.device.id;
  }

  async enrol(): Promise<void> {
    await this.#transport.subscribe(deviceInbox(TENANT, this.id), async (m) =>
      this.#onMessage(m.topic, m.payload),
    );
    const d = this.device;
    const req: EnrollRequest = {
      type: 'enroll',
      deviceId: d.id,
      platform: d.platform,
      kind: d.enrollmentKind,
      osVersion: d.osVersion,
      ownership: d.ownership,
      inventory: inventoryOf(d),
      csr: createCsr({ subject: `CN=${d.id}`, keyPair: this.key }).pem,
    };
    this.#enrollRequest = req;
    await this.#send('enroll', req);
  }

  /** Sends the enrolment request of {@link enrol} once more, byte for byte (a retry, a lost answer). */
  async repeatEnrol(): Promise<void> {
    if (this.#enrollRequest === undefined) throw new Error('repeatEnrol before enrol');
    await this.#send('enroll', this.#enrollRequest);
  }

  /** Payloads received (not enrollment answers, not removals). */
  payloads(): { topic: string; payload: Buffer }[] {
    return this.received.filter((r) => parseDeviceTopic(TENANT, r.topic)?.kind === 'payload');
  }

  async renew(profileId: string, thumbprint: string): Promise<void> {
    const req: RenewRequest = {
      type: 'renew',
      deviceId: this.id,
      profileId,
      thumbprint,
      notAfter: '2027-01-01T00:00:00.000Z',
      at: START.toISOString(),
    };
    await this.#send('renew', req, profileId);
  }

  /**
   * Reports `profileId` installed now, as a device that answers late would (with `answer: 'silent'`, after
   * acting on the payload itself, e.g. enrolling over SCEP).
   */
  async reportInstalled(profileId: string): Promise<void> {
    const report: OutcomeReport = {
      type: 'outcome',
      deviceId: this.id,
      profileId,
      outcomes: [
        {
          device: this.id,
          platform: this.device.platform,
          payload: profileId,
          status: 'installed',
          code: 'OK',
          message: 'Installed.',
          native: { platform: 'ios', status: 'Acknowledged', errorChain: [] },
        },
      ],
      at: START.toISOString(),
    };
    await this.#send('outcome', report, profileId);
  }

  async checkIn(): Promise<void> {
    await this.#send('checkin', { type: 'checkin', deviceId: this.id, at: START.toISOString() });
  }

  async #onMessage(topic: string, payload: Buffer): Promise<void> {
    this.received.push({ topic, payload });
    const t = parseDeviceTopic(TENANT, topic);
    if (!t || t.direction !== 'in') return;
    if (t.kind === 'enrolled') {
      const r = JSON.parse(payload.toString('utf8')) as EnrollResponse;
      if (r.type === 'enrolled') this.certificate = parseCertificate(r.certificate);
      else this.refusal = { code: r.code, message: r.message };
      return;
    }
    if (t.kind !== 'payload' || this.answer === 'silent') return;
    const outcomes: InstallOutcome[] =
      this.answer === 'install'
        ? [
            {
              device: this.id,
              platform: this.device.platform,
              payload: t.profileId,
              status: 'installed',
              code: 'OK',
              message: 'Installed.',
              native: { platform: 'android' },
            },
          ]
        : this.answer(t.profileId, payload);
    await this.#transport.publish(
      deviceOutTopic(TENANT, this.id, 'status', t.profileId),
      Buffer.from('native'),
    );
    const report: OutcomeReport = {
      type: 'outcome',
      deviceId: this.id,
      profileId: t.profileId,
      outcomes,
      at: START.toISOString(),
    };
    await this.#send('outcome', report, t.profileId);
  }

  async #send(
    kind: 'enroll' | 'renew' | 'checkin' | 'outcome',
    body: unknown,
    profileId?: string,
  ): Promise<void> {
    await this.#transport.publish(
      deviceOutTopic(TENANT, this.id, kind, profileId),
      Buffer.from(JSON.stringify(body)),
    );
  }
}

let caCount = 0;
/** The folder of this test file's CAs: made at the first {@link world}, removed after the file's tests. */
let caBase: string | undefined;
afterAll(() => {
  if (caBase !== undefined) rmSync(caBase, { recursive: true, force: true });
  caBase = undefined;
});

/** Options of {@link world}. */
export interface WorldOptions {
  assignments: ProfileAssignment[] | ((ca: EnterpriseCa) => ProfileAssignment[]);
  connectors?: number;
  restrictions?: EnrollmentRestrictions;
  /** Connector key sources by index (default: the pool). */
  connectorKeys?: (index: number) => KeySource;
  /** Requests per poll, for all connectors or per connector index. */
  batchSize?: number | ((index: number) => number);
  service?: Partial<MdmServiceOptions>;
  directory?: Map<string, DirectoryEntry>;
  /** Extra options for every connector. */
  connector?: Partial<CertificateConnectorOptions>;
  /** Start the tenant's PFX connector (imported PKCS) over the CA folder, as the fleet's service side does. */
  pfxConnector?: boolean;
}

/** The whole service side, started. */
export async function world(o: WorldOptions) {
  caCount += 1;
  const clock = new VirtualClock(START);
  caBase ??= mkdtempSync(join(tmpdir(), 'certfleet-service-test-'));
  const ca = await EnterpriseCa.init(join(caBase, `ca-${caCount}`), {
    now: new Date(START.getTime() - 86_400_000),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  const bus = new LoopbackBus();
  const directory = o.directory ?? new Map<string, DirectoryEntry>();
  const assignments = typeof o.assignments === 'function' ? o.assignments(ca) : o.assignments;
  const service = new MdmService({
    tenant: TENANT,
    transport: bus.transport('mdm-service'),
    ca,
    clock,
    random: createRandom('service-test'),
    assignments,
    directory,
    ...(o.restrictions !== undefined && { restrictions: o.restrictions }),
    ...o.service,
  });
  await service.start();
  const pool = [2, 3, 4, 5, 6, 7].map((i) => poolKey('rsa2048', i));
  const connectors = Array.from({ length: o.connectors ?? 2 }, (_, i) => {
    const id = `connector-${i + 1}`;
    return new CertificateConnector({
      id,
      tenant: TENANT,
      transport: bus.transport(id),
      ca,
      clock,
      keys: o.connectorKeys?.(i) ?? new FixedKeySource(pool),
      ...o.connector,
      ...(o.batchSize !== undefined && {
        batchSize: typeof o.batchSize === 'number' ? o.batchSize : o.batchSize(i),
      }),
    });
  });
  for (const c of connectors) await c.start();
  const pfxConnector =
    o.pfxConnector === true
      ? new PfxConnector({
          tenant: TENANT,
          dir: ca.dir,
          seal: ca,
          transport: bus.transport(`pfx-connector-${TENANT}`),
          clock,
        })
      : undefined;
  await pfxConnector?.start();

  /** Connectors whose in-flight work settle() does not wait for (a test holds their keys back). */
  const unwaited = new Set<CertificateConnector>();
  const settle = async (): Promise<void> => {
    for (;;) {
      await bus.settle();
      await service.idle();
      for (const c of connectors) if (!c.stopped && !unwaited.has(c)) await c.idle();
      if (pfxConnector !== undefined && !pfxConnector.stopped) await pfxConnector.idle();
      if (!bus.busy) return;
    }
  };
  let deviceCount = 0;
  const devices: FakeDevice[] = [];
  /** Makes, registers in the directory, and enrols a device. */
  const enrol = async (
    opts: Omit<GenerateDeviceOptions, 'seed' | 'index'> & { tags?: string[]; answer?: Answer } = {},
  ) => {
    const { tags, answer, ...gen } = opts;
    const device = generateDevice({ seed: 'service-world', index: deviceCount++, ...gen });
    if (!directory.has(device.id)) directory.set(device.id, directoryEntryOf(device, tags ?? []));
    const fake = new FakeDevice(device, bus, poolKey('rsa2048', 8 + (deviceCount % 4)));
    if (answer !== undefined) fake.answer = answer;
    devices.push(fake);
    await fake.enrol();
    await settle();
    return fake;
  };
  /** Advances virtual time by `ms`, settling after each step. */
  const run = async (ms: number): Promise<void> => {
    await clock.runUntil(clock.now().getTime() + ms, settle);
  };
  /**
   * The service of a restarted process (issue 10's resume tests): a new MdmService over this world's CA,
   * clock and directory, on its own client id, with `assignments` and `extra` options; not started.
   */
  const restartedService = (
    assignments: ProfileAssignment[],
    extra: Partial<MdmServiceOptions> = {},
    clientId = 'mdm-service-restarted',
  ): MdmService =>
    new MdmService({
      tenant: TENANT,
      transport: bus.transport(clientId),
      ca,
      clock,
      random: createRandom('service-test'),
      assignments,
      directory,
      ...extra,
    });
  return {
    clock,
    ca,
    bus,
    service,
    restartedService,
    connectors,
    pfxConnector,
    directory,
    settle,
    enrol,
    run,
    devices,
    unwaited,
  };
}

/** The outcome of `device` × `profile`. */
export function outcomeOf(service: MdmService, device: string, profile: string) {
  return service.outcomes().find((o) => o.device === device && o.profile === profile);
}
