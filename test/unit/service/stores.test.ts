/**
 * The MDM service's named stores (simulator/service/mdm/stores/), each on its own: what a store could get
 * wrong without the service tests noticing at once — a lease that never expires, a cancelled request that
 * comes back, a revocation counted twice, a CRL number going backwards, a user's device count that forgets
 * a retirement.
 */
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../../pki/index.ts';
import type { CertificateRequestSpec } from '../../../profiles/compile/index.ts';
import type { DeviceProfileOutcome } from '../../../simulator/run-model.ts';
import type { CertificateWork } from '../../../simulator/service/connector/protocol.ts';
import type { ProfileAssignment } from '../../../simulator/service/mdm/assignment.ts';
import type { ServiceDevice } from '../../../simulator/service/mdm/service-types.ts';
import { AssignmentStore } from '../../../simulator/service/mdm/stores/assignments.ts';
import { CertificateRequestStore } from '../../../simulator/service/mdm/stores/certificate-requests.ts';
import { DeliveryStore, type Delivery } from '../../../simulator/service/mdm/stores/deliveries.ts';
import { EnrollmentStore } from '../../../simulator/service/mdm/stores/enrollments.ts';
import { ReportStore } from '../../../simulator/service/mdm/stores/reports.ts';
import { RevocationStore } from '../../../simulator/service/mdm/stores/revocations.ts';

const CERT = { serialNumber: '10AB' } as Certificate;

function device(id: string): ServiceDevice {
  return {
    id,
    platform: 'windows',
    kind: 'hybrid-joined',
    osVersion: '10.0.22631',
    ownership: 'corporate',
    state: 'refused',
    tags: [],
  };
}

const row = (id: string, profile: string): DeviceProfileOutcome => ({
  device: id,
  platform: 'windows',
  kind: 'hybrid-joined',
  profile,
  status: 'failed',
  code: 'ENROLL_DEVICE_LIMIT',
  message: 'limit',
  renewals: 0,
  at: '2026-03-01T08:00:00.000Z',
});

describe('EnrollmentStore', () => {
  it('counts enrolled devices per user, without the asking device, and forgets a retired one', () => {
    const s = new EnrollmentStore();
    expect(s.enrolledUnder('jane@contoso.com')).toBe(0);
    s.enrolled(device('a'), CERT, 'jane@contoso.com');
    s.enrolled(device('b'), CERT, 'jane@contoso.com');
    s.enrolled(device('c'), CERT, 'john@contoso.com');
    s.enrolled(device('d'), CERT, undefined); // a user-less device counts against nobody
    expect(s.enrolledUnder('jane@contoso.com')).toBe(2);
    expect(s.enrolledUnder('jane@contoso.com', 'a')).toBe(1); // a re-enrolment does not count itself
    expect(s.enrolledUnder('jane@contoso.com', 'c')).toBe(2);
    s.enrolled(device('a'), CERT, 'jane@contoso.com'); // enrolled again: still one device
    expect(s.enrolledUnder('jane@contoso.com')).toBe(2);
    expect(s.retired('b')).toBe(true);
    expect(s.retired('b')).toBe(false); // only an enrolled device retires
    expect(s.device('b')?.state).toBe('retired');
    expect(s.enrolledUnder('jane@contoso.com')).toBe(1);
    expect(s.enrolledUnder('john@contoso.com')).toBe(1);
  });

  it('a refusal does not count, does not replace an enrolled device, and goes when the device enrols', () => {
    const s = new EnrollmentStore();
    expect(s.refused(device('a'), [row('a', 'wifi'), row('a', 'vpn')])).toBe(true);
    expect(s.enrolledUnder('jane@contoso.com')).toBe(0);
    expect(s.refusals().map((r) => r.profile)).toEqual(['wifi', 'vpn']);
    const enrolled = device('a');
    s.enrolled(enrolled, CERT, 'jane@contoso.com');
    expect(s.refusals()).toEqual([]);
    expect(s.device('a')).toBe(enrolled); // the same object the deliveries hold
    expect(s.managementCertificate('a')).toBe(CERT);
    expect(s.refused(device('a'), [row('a', 'wifi')])).toBe(false);
    expect(s.device('a')?.state).toBe('enrolled');
    expect(s.refusals()).toEqual([]);
    expect(s.devices().map((d) => d.id)).toEqual(['a']);
  });
});

describe('DeliveryStore', () => {
  const assignment = (name: string) => ({ name }) as ProfileAssignment;
  const delivery = (id: string, profile: string): Delivery =>
    ({
      device: device(id),
      assignment: assignment(profile),
      attempt: 0,
      awaiting: false,
      sends: 0,
      removed: false,
    }) as unknown as Delivery;

  it('keys deliveries by device × profile; a delivery put again keeps its place', () => {
    const s = new DeliveryStore();
    const first = s.put(delivery('a', 'wifi')); // the delivery as stored
    s.put(delivery('b', 'wifi'));
    s.put(delivery('a', 'vpn'));
    expect(s.get('a', 'wifi')).toBe(first);
    expect(s.get('a', 'root')).toBeUndefined();
    first.removed = true;
    const again = s.put(delivery('a', 'wifi'));
    expect(s.get('a', 'wifi')).toBe(again);
    expect([...s.all()].map((d) => `${d.device.id}/${d.assignment.name}`)).toEqual([
      'a/wifi',
      'b/wifi',
      'a/vpn',
    ]);
    expect([...s.ofDevice('a')].map((d) => d.assignment.name)).toEqual(['wifi', 'vpn']);
    expect([...s.ofAssignment('wifi')].map((d) => d.device.id)).toEqual(['a', 'b']);
  });

  it('put leaves the object it is given as it was: its identity and fields, changes made through the stored one', () => {
    const s = new DeliveryStore();
    const issued = { pfx: Buffer.from('pfx'), password: 'Secret-1' };
    const given: Delivery = { ...delivery('a', 'wifi'), issued };
    const stored = s.put(given);
    expect(given.issued).toBe(issued);
    expect(stored.issued).toBe(issued);
    stored.attempt = 2;
    stored.issued = undefined;
    expect(given.attempt).toBe(0);
    expect(given.issued).toBe(issued);
    expect(s.get('a', 'wifi')?.attempt).toBe(2);
    expect(s.get('a', 'wifi')?.issued).toBeUndefined();
  });

  it('listings are live: a delivery added during a walk is visited', () => {
    const s = new DeliveryStore();
    s.put(delivery('a', 'wifi'));
    const seen: string[] = [];
    for (const d of s.ofDevice('a')) {
      seen.push(d.assignment.name);
      if (seen.length === 1) s.put(delivery('a', 'vpn'));
    }
    expect(seen).toEqual(['wifi', 'vpn']);
  });
});

describe('CertificateRequestStore', () => {
  const request = { subject: 'CN=jane', template: 'CertfleetUser' } as CertificateRequestSpec;
  const work = (deviceId: string): CertificateWork => ({
    deviceId,
    profile: 'wifi',
    request,
    reason: 'initial',
  });
  const t = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min));
  const LEASE = 5 * 60_000;

  it('hands out the resolved request as it was queued, and knows whose request it is', () => {
    const s = new CertificateRequestStore();
    const id = s.enqueue(work('a'));
    expect(id).toBe('req-1');
    const [lease] = s.claim('c1', 5, t(0), LEASE);
    expect(lease?.work.request).toBe(request);
    expect(s.owner(id)).toEqual({ deviceId: 'a', profile: 'wifi' });
  });

  it('a lease that runs out makes the request claimable again, under a new lease id', () => {
    const s = new CertificateRequestStore();
    const id = s.enqueue(work('a'));
    const [a] = s.claim('c1', 5, t(0), LEASE);
    expect(s.claim('c2', 5, t(4), LEASE)).toEqual([]); // still held
    const [b] = s.claim('c2', 5, t(5), LEASE); // leaseUntil reached
    expect(b?.requestId).toBe(id);
    expect(b?.leaseId).not.toBe(a?.leaseId);
    expect(s.leaseCount(id)).toBe(2);
    expect(s.commit(id, a!.leaseId, t(5), LEASE)).toBe('lease-moved');
    expect(s.commit(id, b!.leaseId, t(6), LEASE)).toBeUndefined();
    expect(s.complete(id, b!.leaseId)).toMatchObject({ ok: true, work: { deviceId: 'a' } });
    expect(s.size).toBe(0);
    expect(s.owner(id)).toBeUndefined(); // completed: forgotten
  });

  it('a cancelled request is never handed out again, even after its lease runs out; its result is refused', () => {
    const s = new CertificateRequestStore();
    const id = s.enqueue(work('a'));
    const other = s.enqueue(work('b'));
    const [lease] = s.claim('c1', 1, t(0), LEASE);
    expect(lease?.requestId).toBe(id);
    expect(s.commit(id, lease!.leaseId, t(1), LEASE)).toBeUndefined();
    s.cancel(id);
    expect(s.wasCancelled(id)).toBe(true);
    expect(s.wasCancelled(other)).toBe(false);
    expect(s.claim('c2', 5, t(60), LEASE).map((l) => l.requestId)).toEqual([other]);
    expect(s.claim('c3', 5, t(120), LEASE).map((l) => l.requestId)).toEqual([other]); // only the other, re-leased
    expect(s.complete(id, lease!.leaseId)).toEqual({ ok: false, reason: 'unknown-request' });
    expect(s.owner(id)).toEqual({ deviceId: 'a', profile: 'wifi' }); // a late result still names its delivery
    expect(s.size).toBe(1);
  });
});

describe('RevocationStore', () => {
  it('records a serial once, whatever its case or leading zeros', () => {
    const s = new RevocationStore();
    const at = new Date('2026-03-01T08:00:00Z');
    expect(s.isRevoked('1A2B')).toBe(false);
    expect(s.revoked('1A2B', 'superseded', at)).toBe(true);
    expect(s.revoked('1a2b', 'cessationOfOperation', at)).toBe(false);
    expect(s.revoked('001A2B', 'superseded', at)).toBe(false);
    expect(s.isRevoked('01a2b')).toBe(true);
    expect(s.revocations()).toEqual([{ serial: '1A2B', reason: 'superseded', at: at.toISOString() }]);
  });

  it('keeps the last CRL and its number, which only goes up', () => {
    const s = new RevocationStore();
    expect(s.crlNumber).toBe(0);
    expect(s.latestCrl).toBeUndefined();
    s.published(Buffer.from('crl-1'), 1);
    s.published(Buffer.from('crl-2'), 2);
    expect(s.crlNumber).toBe(2);
    expect(s.latestCrl?.toString()).toBe('crl-2');
    expect(() => s.published(Buffer.from('again'), 2)).toThrow(/only go up/);
    expect(() => s.published(Buffer.from('older'), 1)).toThrow(/only go up/);
    expect(s.latestCrl?.toString()).toBe('crl-2');
    s.published(Buffer.from('crl-7'), 7); // a CA that published elsewhere meanwhile: later is fine
    expect(s.crlNumber).toBe(7);
  });
});

describe('AssignmentStore and ReportStore', () => {
  it('removes an assignment once, from a copy of the list it was given', () => {
    const given = [{ name: 'wifi' }, { name: 'vpn' }] as ProfileAssignment[];
    const s = new AssignmentStore(given);
    expect(s.remove('wifi')).toBe(true);
    expect(s.remove('wifi')).toBe(false);
    expect(s.list().map((a) => a.name)).toEqual(['vpn']);
    expect(given).toHaveLength(2);
  });

  it('updates every assignment of a name (one per family), in place in the list, and says which replaced which', () => {
    const given = [{ name: 'ca' }, { name: 'vpn' }, { name: 'ca', keySize: 4096 }] as ProfileAssignment[];
    const s = new AssignmentStore(given);
    const replaced = s.update('ca', (a) => ({ ...a, exclude: [] }));
    expect(replaced.size).toBe(2);
    expect([...replaced.keys()]).toEqual([given[0], given[2]]);
    expect(s.list().map((a) => [a.name, a.exclude])).toEqual([
      ['ca', []],
      ['vpn', undefined],
      ['ca', []],
    ]);
    expect(s.list()[2]).toBe(replaced.get(given[2]!));
    expect(given[0]!.exclude).toBeUndefined(); // the list given is not changed
    expect(s.update('nope', (a) => a).size).toBe(0);
  });

  it('hands out copies of its events and counters', () => {
    const s = new ReportStore();
    s.record({ at: 'now', type: 'enrolled', detail: 'x' });
    s.countResult('connector-1');
    s.countResult('connector-1');
    const events = s.events();
    events.pop();
    const counters = s.snapshot();
    counters.connectorLoad['connector-1'] = 99;
    expect(s.events()).toHaveLength(1);
    expect(s.snapshot().connectorLoad).toEqual({ 'connector-1': 2 });
  });
});
