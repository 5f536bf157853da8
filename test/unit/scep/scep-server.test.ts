/**
 * The NDES-like SCEP server (simulator/service/scep/) with certfleet's own client (protocol/scep/client.ts)
 * over real HTTP on loopback: the Intune challenge model (one-time, expiring, bound to a subject) answered
 * with CertRep FAILURE and the connector's documented events, PENDING and polling on a virtual wait,
 * renewal signed with the old certificate, and the challenge store on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../pki/errors.ts';
import { ScepClient } from '../../../protocol/scep/client.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { startScepServer, type RunningScepServer } from '../../../simulator/service/scep/http-server.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
let clock = T0;
const now = (): Date => clock;
let work: string;
let ca: EnterpriseCa;
let store: ChallengeStore;
let responder: ScepResponder;
let server: RunningScepServer;

async function rejection(p: Promise<unknown>): Promise<CertfleetError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CertfleetError);
    return e as CertfleetError;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-srv-'));
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: T0,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  const ra = await loadOrIssueRa(ca, { now: T0, key: poolKey('rsa2048', 2) });
  store = new ChallengeStore({ validityMs: 60 * 60_000 });
  responder = new ScepResponder({ ca, ra, challenges: store, now });
  server = await startScepServer({ responder, port: 0, admin: { store, now } });
});

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('SCEP server over HTTP with certfleet\u2019s client', () => {
  it('GetCACaps and GetCACert: capabilities, then the RA (not a CA) and the CA certificates', async () => {
    const client = new ScepClient({ url: server.url });
    const caps = await client.getCaCaps();
    expect([...caps]).toEqual(expect.arrayContaining(['AES', 'POSTPKIOPERATION', 'RENEWAL', 'SHA-256']));
    const certs = await new ScepClient({ url: server.ndesUrl }).getCaCert();
    expect(certs.map((c) => c.subjectText)).toEqual([
      'CN=Certfleet Issuing CA MSCEP-RA,O=Certfleet,C=US',
      ca.issuing.subjectText,
      ca.root.subjectText,
    ]);
    expect(certs[0]!.basicConstraints?.ca).not.toBe(true);
  });

  it('a one-time challenge enrols once: the certificate chains to the CA, events 20500 then 20600', async () => {
    const challenge = store.issue({
      deviceId: 'dev-1',
      profileId: 'scep-1',
      subject: 'CN=dev-1,O=Contoso',
      now: clock,
    });
    const keyPair = poolKey('rsa2048', 3);
    const r = await new ScepClient({ url: server.url, now }).enrol({
      keyPair,
      subject: 'CN=dev-1,O=Contoso',
      challenge,
      san: [{ type: 'dns', value: 'dev-1.contoso.test' }],
    });
    expect(r.certificate.subjectText).toBe('CN=dev-1,O=Contoso');
    expect(r.certificate.subjectAltName).toEqual([{ type: 'dns', value: 'dev-1.contoso.test' }]);
    expect(r.certificate.verifySignature(ca.issuing.publicKey)).toBe(true);
    expect(r.chain.map((c) => c.sha1Thumbprint)).toEqual([ca.issuing.sha1Thumbprint]);
    expect(ca.issuedRecords().some((x) => x.serial === r.certificate.serialNumber)).toBe(true);
    const mine = responder.events.filter((e) => e.transactionId === r.transactionId);
    expect(mine.map((e) => [e.eventId, e.diagnosticCode, e.deviceId])).toEqual([
      [20500, '0x00000000', 'dev-1'],
      [20600, '0x00000000', 'dev-1'],
    ]);

    // the same challenge with another key: reused → FAILURE badRequest, event 20502, nothing issued
    const before = ca.issuedRecords().length;
    const e = await rejection(
      new ScepClient({ url: server.url, now }).enrol({
        keyPair: poolKey('rsa2048', 4),
        subject: 'CN=dev-1,O=Contoso',
        challenge,
      }),
    );
    expect(e.code).toBe('SCEP_REQUEST_FAILED');
    expect(e.details['failInfo']).toBe('badRequest');
    expect(responder.failures.at(-1)?.code).toBe('SCEP_CHALLENGE_REUSED');
    expect(responder.events.at(-1)).toMatchObject({
      eventId: 20502,
      name: 'CRPVerifyMetric_Failure',
      code: 'SCEP_CHALLENGE_REUSED',
      deviceId: 'dev-1',
    });
    expect(ca.issuedRecords().length).toBe(before);
  });

  it('expired, for another subject, unknown: FAILURE badRequest with the connector\u2019s documented event', async () => {
    const expired = store.issue({ deviceId: 'dev-2', profileId: 'scep-1', now: clock });
    const forDev3 = store.issue({ deviceId: 'dev-3', profileId: 'scep-1', subject: 'CN=dev-3', now: clock });
    clock = new Date(T0.getTime() + 61 * 60_000);
    try {
      const client = new ScepClient({ url: server.url, now });
      const cases = [
        {
          challenge: expired,
          subject: 'CN=dev-2',
          code: 'SCEP_CHALLENGE_EXPIRED',
          event: 20501,
          diag: '0x00000411',
        },
        {
          challenge: 'never-issued',
          subject: 'CN=dev-2',
          code: 'SCEP_CHALLENGE_INVALID',
          event: 20502,
          diag: '0x00000410',
        },
      ];
      for (const [i, c] of cases.entries()) {
        const e = await rejection(
          client.enrol({ keyPair: poolKey('rsa2048', 5 + i), subject: c.subject, challenge: c.challenge }),
        );
        expect([e.code, e.details['failInfo']]).toEqual(['SCEP_REQUEST_FAILED', 'badRequest']);
        expect(responder.failures.at(-1)?.code).toBe(c.code);
        expect(responder.events.at(-1)).toMatchObject({ eventId: c.event, diagnosticCode: c.diag });
      }
    } finally {
      clock = T0;
    }
    const e = await rejection(
      new ScepClient({ url: server.url, now }).enrol({
        keyPair: poolKey('rsa2048', 7),
        subject: 'CN=dev-4',
        challenge: forDev3,
      }),
    );
    expect(e.code).toBe('SCEP_REQUEST_FAILED');
    expect(responder.failures.at(-1)).toMatchObject({
      code: 'SCEP_CHALLENGE_MISMATCH',
      failInfo: 'badRequest',
    });
    expect(responder.failures.at(-1)?.message).toContain('dev-3');
    expect(responder.failures.at(-1)?.message).not.toContain(forDev3);
  });

  it('renewal: a RenewalReq signed with the issued certificate gets a new one without a challenge; a stranger\u2019s is refused', async () => {
    const challenge = store.issue({ deviceId: 'dev-5', profileId: 'scep-1', now: clock });
    const first = await new ScepClient({ url: server.url, now }).enrol({
      keyPair: poolKey('rsa2048', 8),
      subject: 'CN=dev-5',
      challenge,
    });
    const renewed = await new ScepClient({ url: server.url, now }).enrol({
      keyPair: poolKey('rsa2048', 9),
      subject: 'CN=dev-5',
      renew: { certificate: first.certificate, privateKey: poolKey('rsa2048', 8).privateKey },
    });
    expect(renewed.certificate.serialNumber).not.toBe(first.certificate.serialNumber);
    expect(renewed.certificate.subjectText).toBe('CN=dev-5');
    // a RenewalReq signed with a certificate of another CA (here: the RA of another folder's CA) is refused
    const other = await EnterpriseCa.init(join(work, 'other'), {
      now: T0,
      rootKey: poolKey('rsa2048', 10),
      issuingKey: poolKey('rsa2048', 11),
    });
    const stranger = other.issue({
      template: 'CertfleetUser',
      requester: { identity: 'x', groups: ['CertfleetConnectors'] },
      subject: 'CN=dev-5',
      publicKey: poolKey('rsa2048', 4).publicKey,
      now: T0,
    });
    const e = await rejection(
      new ScepClient({ url: server.url, now }).enrol({
        keyPair: poolKey('rsa2048', 6),
        subject: 'CN=dev-5',
        renew: { certificate: stranger.certificate, privateKey: poolKey('rsa2048', 4).privateKey },
      }),
    );
    expect(e.code).toBe('SCEP_REQUEST_FAILED');
    expect(responder.failures.at(-1)?.code).toBe('SCEP_RENEWAL_REFUSED');
  });

  it('PENDING: the client polls (CertPoll) on the caller\u2019s wait until the CA issues; without a wait it stops with SCEP_PENDING', async () => {
    const ra = await loadOrIssueRa(ca, { now: T0 });
    const pendingStore = new ChallengeStore({ staticChallenge: 'static-pw' });
    const pending = new ScepResponder({ ca, ra, challenges: pendingStore, now, pendingPolls: 2 });
    const srv = await startScepServer({ responder: pending, port: 0 });
    try {
      const waits: number[] = [];
      const client = new ScepClient({
        url: srv.url,
        now,
        maxPolls: 5,
        wait: async (n) => void waits.push(n),
      });
      const r = await client.enrol({
        keyPair: poolKey('rsa2048', 3),
        subject: 'CN=dev-6',
        challenge: 'static-pw',
      });
      expect(r.polls).toBe(2);
      expect(waits).toEqual([1, 2]);
      expect(r.certificate.subjectText).toBe('CN=dev-6');
      const e = await rejection(
        new ScepClient({ url: srv.url, now }).enrol({
          keyPair: poolKey('rsa2048', 5),
          subject: 'CN=dev-7',
          challenge: 'static-pw',
        }),
      );
      expect(e.code).toBe('SCEP_PENDING');
      // the static challenge is reusable; a wrong one is not accepted
      const w = await rejection(
        new ScepClient({ url: srv.url, now }).enrol({
          keyPair: poolKey('rsa2048', 7),
          subject: 'CN=dev-8',
          challenge: 'wrong',
        }),
      );
      expect(w.code).toBe('SCEP_REQUEST_FAILED');
      expect(pending.failures.at(-1)?.code).toBe('SCEP_CHALLENGE_INVALID');
    } finally {
      await srv.close();
    }
  });

  it('the NDES admin page hands out one-time challenges; bad operations and paths get HTTP errors', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/certsrv/mscep_admin/?device=dev-9&profile=p`);
    const challenge = (await res.text()).trim();
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const r = await new ScepClient({ url: server.ndesUrl, now }).enrol({
      keyPair: poolKey('rsa2048', 10),
      subject: 'CN=dev-9',
      challenge,
    });
    expect(r.certificate.subjectText).toBe('CN=dev-9');
    expect((await fetch(`${server.url}?operation=Nope`)).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${server.port}/other?operation=GetCACaps`)).status).toBe(404);
    expect((await fetch(`${server.url}?operation=PKIOperation&message=%%%`)).status).toBe(400);
  });
});

describe('ChallengeStore (the connector\u2019s challenge check)', () => {
  it('spends a challenge once, expires it at its end, binds it to its subject; messages never contain it', () => {
    const s = new ChallengeStore({ validityMs: 1000 });
    const c = s.issue({ deviceId: 'd', profileId: 'p', subject: 'CN=A, O=X', now: T0 });
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect((e as Error).message).not.toContain(c);
        return (e as CertfleetError).code;
      }
      return 'OK';
    };
    expect(code(() => s.redeem({ challenge: c, subject: 'CN=B,O=X', now: T0 }))).toBe(
      'SCEP_CHALLENGE_MISMATCH',
    );
    expect(
      code(() => s.redeem({ challenge: c, subject: 'cn=a,o=x', now: new Date(T0.getTime() + 999) })),
    ).toBe('OK');
    expect(code(() => s.redeem({ challenge: c, subject: 'CN=A,O=X', now: T0 }))).toBe(
      'SCEP_CHALLENGE_REUSED',
    );
    const d = s.issue({ deviceId: 'd', profileId: 'p', now: T0 });
    expect(code(() => s.redeem({ challenge: d, subject: 'CN=Z', now: new Date(T0.getTime() + 1000) }))).toBe(
      'SCEP_CHALLENGE_EXPIRED',
    );
    expect(code(() => s.redeem({ challenge: undefined, subject: 'CN=Z', now: T0 }))).toBe(
      'SCEP_CHALLENGE_INVALID',
    );
    expect(code(() => s.redeem({ challenge: 'x', subject: 'CN=Z', now: T0 }))).toBe('SCEP_CHALLENGE_INVALID');
    expect(s.issue({ deviceId: 'd', profileId: 'p', now: T0 })).not.toBe(
      s.issue({ deviceId: 'd', profileId: 'p', now: T0 }),
    );
  });
});
