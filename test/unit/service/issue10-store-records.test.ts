/**
 * Issue 10 point 3 — the MDM service's stores saved as records and rebuilt from them (what a resumed
 * `serve` reads back from its checkpoint): enrolments, the certificate queue with its leases, revocations
 * and CRL numbers; only changed records are written (simulator/fleet/record-diff.ts), and a store rebuilt
 * from service-state.db behaves as the one that was saved.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import type { Certificate } from '../../../pki/index.ts';
import type { CertificateRequestSpec } from '../../../profiles/compile/index.ts';
import { RecordDiff } from '../../../simulator/fleet/record-diff.ts';
import { ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import type { DeviceProfileOutcome } from '../../../simulator/run-model.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import type { CertificateWork } from '../../../simulator/service/connector/protocol.ts';
import type { ServiceDevice } from '../../../simulator/service/mdm/service-types.ts';
import { CertificateRequestStore } from '../../../simulator/service/mdm/stores/certificate-requests.ts';
import { DeliveryStore, type Delivery } from '../../../simulator/service/mdm/stores/deliveries.ts';
import { EnrollmentStore } from '../../../simulator/service/mdm/stores/enrollments.ts';
import type { ProfileAssignment } from '../../../simulator/service/mdm/assignment.ts';
import { RevocationStore } from '../../../simulator/service/mdm/stores/revocations.ts';
import type { SavedRecord } from '../../../simulator/service/mdm/stores/saved-records.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
let base: string;
let cert: Certificate;

function device(id: string): ServiceDevice {
  return {
    id,
    platform: 'windows',
    kind: 'hybrid-joined',
    osVersion: '10.0.22631',
    ownership: 'corporate',
    state: 'refused',
    tags: ['t1'],
    facts: {
      platform: 'windows',
      enrollmentKind: 'hybrid-joined',
      osVersion: '10.0.22631',
      hasUser: true,
      attributes: { userPrincipalName: `${id}@contoso.com` },
      absent: {},
    },
  };
}

const refusal = (id: string): DeviceProfileOutcome => ({
  device: id,
  platform: 'windows',
  kind: 'hybrid-joined',
  profile: 'wifi',
  status: 'failed',
  code: 'ENROLL_DEVICE_LIMIT',
  message: 'limit',
  renewals: 0,
  at: '2026-03-01T08:00:00.000Z',
});

const asMap = (records: SavedRecord[]): Map<string, Buffer> => new Map(records.map((r) => [r.key, r.value]));

/** The certificate-queue tests' connector work for device `deviceId`. */
const work = (deviceId: string): CertificateWork => ({
  deviceId,
  profile: 'wifi',
  request: { subject: 'CN=jane', template: 'CertfleetUser' } as CertificateRequestSpec,
  reason: 'initial',
});

/** Minute `min` of 2026-01-01, UTC (the certificate-queue tests' clock). */
const t = (min: number): Date => new Date(Date.UTC(2026, 0, 1, 0, min));

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCertfleetError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i10-stores-'));
  const ca = await EnterpriseCa.init(join(base, 'ca'), {
    now: NOW,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  cert = ca.issuing;
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** An enrolments store with every kind of entry: enrolled with and without a user, refused, retired. */
function enrolments(): EnrollmentStore {
  const s = new EnrollmentStore();
  s.enrolled(device('d-3'), cert, 'ada@contoso.com');
  s.refused(device('d-1'), [refusal('d-1')]);
  s.enrolled(device('d-2'), cert, 'ada@contoso.com');
  s.enrolled(device('d-0'), cert, undefined);
  s.retired('d-2');
  return s;
}

describe('issue 10 point 3: the service stores saved as records', () => {
  it('enrolments: the same devices in the same order, certificates, refusals and per-user counts', () => {
    const saved = enrolments();
    const back = new EnrollmentStore();
    back.restore(asMap(saved.save()));
    expect(back.devices()).toEqual(saved.devices());
    expect(back.devices().map((d) => d.id)).toEqual(['d-3', 'd-1', 'd-2', 'd-0']);
    expect(back.device('d-2')?.state).toBe('retired');
    expect(back.managementCertificate('d-3')?.der.equals(cert.der)).toBe(true);
    expect(back.managementCertificate('d-1')).toBeUndefined();
    expect(back.refusals()).toEqual([refusal('d-1')]);
    expect(back.enrolledUnder('ada@contoso.com')).toBe(1); // d-2 retired, not counted
    expect(back.enrolledUnder('ada@contoso.com', 'd-3')).toBe(0);
    // the rebuilt store goes on as the saved one would
    back.enrolled(device('d-4'), cert, 'ada@contoso.com');
    expect(back.enrolledUnder('ada@contoso.com')).toBe(2);
    expect(codeOf(() => back.restore(asMap(saved.save())))).toBe('INTERNAL'); // only into an empty store
  });

  it('certificate queue: leases, commits, cancellations and the request counter carry over', () => {
    const LEASE = 5 * 60_000;
    const build = (): { s: CertificateRequestStore; leases: string[] } => {
      const s = new CertificateRequestStore();
      for (const d of ['a', 'b', 'c', 'd']) s.enqueue(work(d));
      const leases = s.claim('c1', 2, t(0), LEASE).map((l) => l.leaseId);
      s.commit('req-1', leases[0]!, t(1), LEASE);
      s.cancel('req-3');
      return { s, leases };
    };
    const { s: saved, leases } = build();
    const back = new CertificateRequestStore();
    back.restore(asMap(saved.save()));
    const { s: twin } = build(); // the uninterrupted store, to compare each next step with

    expect(back.size).toBe(twin.size);
    expect(back.owner('req-3')).toEqual({ deviceId: 'c', profile: 'wifi' });
    expect(back.wasCancelled('req-3')).toBe(true);
    expect(back.leaseCount('req-2')).toBe(1);
    // req-2's lease still holds at t(3); runs out at t(5): the same claims as the uninterrupted store
    expect(back.claim('c2', 5, t(3), LEASE)).toEqual(twin.claim('c2', 5, t(3), LEASE));
    expect(back.claim('c3', 5, t(5), LEASE)).toEqual(twin.claim('c3', 5, t(5), LEASE));
    expect(back.claim('c3', 5, t(5), LEASE).map((l) => l.requestId)).toEqual([]);
    // the committed request completes under its lease; the next request is numbered on
    expect(back.complete('req-1', leases[0]!)).toMatchObject({ ok: true, work: { deviceId: 'a' } });
    expect(back.enqueue(work('e'))).toBe('req-5');
  });

  it('certificate queue: a request is saved again only once it changed (the records are kept between checkpoints)', () => {
    const s = new CertificateRequestStore();
    for (const d of ['a', 'b', 'c']) s.enqueue(work(d));
    const first = asMap(s.save());
    expect([...first.keys()]).toEqual(['#seq', 'req-1', 'req-2', 'req-3']);
    // nothing changed: the very same records (no serialisation), which a RecordDiff takes as unchanged
    const again = asMap(s.save());
    for (const k of ['req-1', 'req-2', 'req-3']) expect(again.get(k)).toBe(first.get(k));
    const diff = new RecordDiff();
    diff.commit(diff.changes('requests', s.save()));
    expect(diff.changes('requests', s.save())).toEqual([]);
    // claimed, committed, cancelled, completed: each listed anew, with what changed; the others untouched
    const [lease] = s.claim('c1', 1, t(0), 5 * 60_000);
    const claimed = asMap(s.save());
    expect(JSON.parse(claimed.get('req-1')!.toString())).toMatchObject({
      entry: { state: 'leased', holder: 'c1' },
    });
    expect(claimed.get('req-2')).toBe(first.get('req-2'));
    s.commit('req-1', lease!.leaseId, t(1), 5 * 60_000);
    expect(JSON.parse(asMap(s.save()).get('req-1')!.toString())).toMatchObject({
      entry: { state: 'committed' },
    });
    s.cancel('req-2');
    expect(JSON.parse(asMap(s.save()).get('req-2')!.toString())).toEqual({
      owner: { deviceId: 'b', profile: 'wifi' },
      cancelled: true,
    });
    expect(s.complete('req-1', lease!.leaseId).ok).toBe(true);
    const done = asMap(s.save());
    expect([...done.keys()]).toEqual(['#seq', 'req-3', 'req-2']);
    expect(done.get('req-3')).toBe(first.get('req-3'));
    expect(diff.changes('requests', s.save()).map((c) => [c.key, c.value === undefined])).toEqual([
      ['req-2', false],
      ['req-1', true],
    ]);
  });

  it('revocations: serials in order, the CRL and its number — which keeps going up', () => {
    const saved = new RevocationStore();
    saved.revoked('00ab12', 'keyCompromise', NOW);
    saved.revoked('CD34', 'superseded', NOW);
    saved.published(Buffer.from([1, 2, 3]), 2);
    const back = new RevocationStore();
    back.restore(asMap(saved.save()));
    expect(back.revocations()).toEqual(saved.revocations());
    expect(back.isRevoked('AB12')).toBe(true);
    expect(back.crlNumber).toBe(2);
    expect(back.latestCrl).toEqual(Buffer.from([1, 2, 3]));
    expect(back.revoked('ab12', 'superseded', NOW)).toBe(false); // already revoked: idempotent after a resume
    expect(codeOf(() => back.published(Buffer.from([4]), 2))).toBe('INTERNAL');
  });

  it('deliveries: state, payload bytes and issued identity back, linked to the restored device and assignment', () => {
    const devices = enrolments();
    const wifi = { name: 'wifi' } as ProfileAssignment;
    const vpn = { name: 'vpn' } as ProfileAssignment; // removed from the run's assignments since: still linked
    const outcome: DeviceProfileOutcome = {
      ...refusal('d-3'),
      status: 'pending',
      code: 'DELIVERY_NO_ANSWER',
    };
    const s = new DeliveryStore();
    const sentDelivery: Delivery = {
      device: devices.device('d-3')!,
      assignment: wifi,
      outcome,
      requestId: 'req-7',
      reason: 'renewal',
      current: { serial: '1A', thumbprint: 'AB', notAfter: '2027-01-01T00:00:00.000Z' },
      sentCert: { serial: '1B', thumbprint: 'CD', notAfter: '2028-01-01T00:00:00.000Z' },
      issued: { pfx: Buffer.from([0x30, 0x82, 1, 2]), password: 'Pfx-Secret-1', certificateDer: cert.der },
      sent: {
        topic: 'certfleet/contoso/devices/d-3/in/profile',
        payload: Buffer.from('<SyncML/>'),
        format: 'syncml',
        id: './Vendor/x',
      },
      attempt: 2,
      timer: { cancel: () => undefined },
      timerAt: Date.UTC(2026, 5, 1, 12, 5),
      awaiting: true,
      sends: 2,
      removed: false,
    };
    s.put(sentDelivery);
    s.put({
      device: devices.device('d-0')!,
      assignment: vpn,
      outcome,
      attempt: 0,
      awaiting: false,
      sends: 0,
      removed: true,
    });
    const back = new DeliveryStore();
    const restoredDevices = new EnrollmentStore();
    restoredDevices.restore(asMap(devices.save()));
    const assignments = new Map([wifi, vpn].map((a) => [a.name, a]));
    const armed = back.restore(asMap(s.save()), {
      device: (id) => restoredDevices.device(id),
      assignment: (name) => assignments.get(name),
    });
    const d = back.get('d-3', 'wifi')!;
    expect(d.device).toBe(restoredDevices.device('d-3')); // the same object the enrolments store holds
    expect(d.assignment).toBe(wifi);
    const { timer: _t, device: _d, ...rest } = sentDelivery;
    const { timer: t2, device: _d2, ...restBack } = d;
    // the identity is not an own property of the stored delivery: it is read from the store's shelf
    expect({ ...restBack, issued: d.issued }).toEqual(rest);
    expect(t2).toBeUndefined(); // not re-armed by the store …
    expect(armed).toEqual([d]); // … but handed back to be armed again
    expect([...back.all()].map((x) => `${x.device.id}/${x.assignment.name}/${x.removed}`)).toEqual([
      'd-3/wifi/false',
      'd-0/vpn/true',
    ]);
    const unknown = new DeliveryStore();
    expect(
      codeOf(() =>
        unknown.restore(asMap(s.save()), { device: () => undefined, assignment: (n) => assignments.get(n) }),
      ),
    ).toBe('IO');
  });

  it('a checkpoint writes only the records that changed, and removes the ones gone', () => {
    const diff = new RecordDiff();
    const s = enrolments();
    const first = diff.changes('enrollments', s.save());
    expect(first.map((c) => c.key)).toEqual(['d-3', 'd-1', 'd-2', 'd-0']);
    diff.commit(first);
    expect(diff.changes('enrollments', s.save())).toEqual([]); // nothing changed: nothing written
    s.retired('d-3');
    const second = diff.changes('enrollments', s.save());
    expect(second.map((c) => c.key)).toEqual(['d-3']);
    diff.commit(second);
    const requests = new CertificateRequestStore();
    const request = { subject: 'CN=x' } as CertificateRequestSpec;
    requests.enqueue({ deviceId: 'a', profile: 'wifi', request, reason: 'initial' });
    diff.commit(diff.changes('requests', requests.save()));
    const [lease] = requests.claim('c1', 1, NOW, 60_000);
    requests.commit(lease!.requestId, lease!.leaseId, NOW, 60_000);
    requests.complete(lease!.requestId, lease!.leaseId);
    const third = diff.changes('requests', requests.save());
    expect(third).toEqual([{ store: 'requests', key: 'req-1' }]); // completed: its record removed
  });

  it('stores rebuilt from service-state.db after a reopen are the stores that were saved', () => {
    const dir = mkdtempSync(join(base, 'run-'));
    const secret = 'issue10-store-records-secret-0123456789';
    const cp = ServiceCheckpoint.open(dir, { digest: 'd', secret });
    const diff = new RecordDiff();
    const s = enrolments();
    const changes = diff.changes('enrollments', s.save());
    cp.checkpoint({ at: 1, instants: 1, ledger: [], records: changes });
    diff.commit(changes);
    s.retired('d-3');
    const more = diff.changes('enrollments', s.save());
    cp.checkpoint({ at: 2, instants: 2, ledger: [], records: more });
    cp.close();

    const again = ServiceCheckpoint.open(dir, { digest: 'd', secret });
    const back = new EnrollmentStore();
    back.restore(again.records('enrollments'));
    again.close();
    expect(back.devices()).toEqual(s.devices());
    expect(back.device('d-3')?.state).toBe('retired');
    expect(back.enrolledUnder('ada@contoso.com')).toBe(0);
  });
});

describe('issue 10 point 3: the enrolments store marks what changed', () => {
  it('lists every device first, then only those changed here or handed out', () => {
    const s = new EnrollmentStore();
    s.enrolled(device('d-1'), cert, 'ada@contoso.com');
    s.enrolled(device('d-2'), cert, 'ada@contoso.com');
    s.refused(device('d-3'), [refusal('d-3')]);
    const text = (rs: SavedRecord[]): string[] => rs.map((r) => `${r.key}=${r.value.toString()}`);
    expect(text(s.saveChanged())).toEqual(text(s.save()));
    expect(s.saveChanged()).toEqual([]);
    // counting and listing refusals hand out no device record
    expect(s.enrolledUnder('ada@contoso.com')).toBe(2);
    expect(s.refusals()).toHaveLength(1);
    expect(s.saveChanged()).toEqual([]);
    // retired: its state and its place under the user's limit change
    expect(s.retired('d-2')).toBe(true);
    const listed = s.saveChanged();
    expect(listed.map((r) => r.key)).toEqual(['d-2']);
    const full = asMap(s.save());
    expect(listed[0]!.value.equals(full.get('d-2')!)).toBe(true);
    expect(JSON.parse(listed[0]!.value.toString())).toMatchObject({ order: 1, device: { state: 'retired' } });
    expect(JSON.parse(listed[0]!.value.toString()).limitKey).toBeUndefined();
    // a device record handed out may be changed in place by its holder: it is listed
    s.device('d-1')!.tags.push('t2');
    expect(s.saveChanged().map((r) => r.key)).toEqual(['d-1']);
    expect(s.device('d-9')).toBeUndefined();
    // several changed: listed in the saved order, whatever the order of the changes
    s.device('d-3');
    s.device('d-1');
    const both = s.saveChanged();
    expect(both.map((r) => [r.key, JSON.parse(r.value.toString()).order])).toEqual([
      ['d-1', 0],
      ['d-3', 2],
    ]);
    // a restored store lists everything once (the resume's diff, seeded with the saved records, drops it)
    const back = new EnrollmentStore();
    back.restore(asMap(s.save()));
    expect(text(back.saveChanged())).toEqual(text(s.save()));
  });
});
