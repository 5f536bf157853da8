/**
 * Issue 10 point 3 — the SCEP server's state across a kill of `serve`: a one-time challenge is written to
 * service-state.db when it is made and when it is spent, and the certificate the responder issued is
 * written before its answer leaves (simulator/fleet/scep-journal.ts) — not at the next checkpoint. The
 * "kill" here drops every object after the answer, with no checkpoint after it, and opens the same file
 * again. A real SQLite service-state.db (sealed), a real CA, the responder over HTTP with certfleet's SCEP
 * client, the loopback bus, the virtual clock.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../pki/errors.ts';
import { ScepClient } from '../../../protocol/scep/client.ts';
import { scepJournal, SCEP_CHALLENGES_STORE } from '../../../simulator/fleet/scep-journal.ts';
import { SERVICE_STATE_FILE, ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { SAVED_STORES } from '../../../simulator/service/mdm/mdm-service.ts';
import type { ServiceScep } from '../../../simulator/service/mdm/service-types.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { startScepServer } from '../../../simulator/service/scep/http-server.ts';
import { ScepIssuedCertificates } from '../../../simulator/service/scep/issued-certificates.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { profileOf, toAll, world } from './harness.ts';

const base = mkdtempSync(join(tmpdir(), 'certfleet-i10-scep-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let folders = 0;
const SECRET = 'scep-journal-secret';
const T0 = new Date('2026-03-01T10:00:00Z');

/** A fresh run folder's saved state. */
function freshState(): { dir: string; open: () => ServiceCheckpoint } {
  folders += 1;
  const dir = mkdtempSync(join(base, `run-${folders}-`));
  return { dir, open: () => ServiceCheckpoint.open(dir, { digest: 'scep-journal', secret: SECRET }) };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof CertfleetError) return e.code;
    throw e;
  }
  return undefined;
}

describe('issue 10 point 3: a SCEP challenge survives a kill of serve', () => {
  it('made, state dropped, restored: it verifies once and only once (and its use survives too)', () => {
    const { dir, open } = freshState();
    let cp = open();
    const store = new ChallengeStore({ journal: scepJournal(() => cp).challenges });
    const challenge = store.issue({
      deviceId: 'dev-1',
      profileId: 'wifi',
      subject: 'CN=dev-1,O=Contoso',
      now: T0,
    });
    // the grant is on disk, sealed and keyed by a digest: the challenge itself is nowhere in the file
    const file = readFileSync(join(dir, SERVICE_STATE_FILE));
    const wal = readFileSync(join(dir, `${SERVICE_STATE_FILE}-wal`));
    for (const bytes of [file, wal]) expect(bytes.includes(Buffer.from(challenge))).toBe(false);
    cp.close(); // the kill: the store object is gone, no checkpoint was written

    // without the journal's records a new store refuses the challenge (the defect)
    expect(
      codeOf(() => new ChallengeStore().redeem({ challenge, subject: 'CN=dev-1,O=Contoso', now: T0 })),
    ).toBe('SCEP_CHALLENGE_INVALID');

    cp = open();
    const journal = scepJournal(() => cp);
    expect(journal.savedChallenges().size).toBe(1);
    const resumed = new ChallengeStore({ journal: journal.challenges });
    resumed.restore(journal.savedChallenges());
    const later = new Date(T0.getTime() + 10 * 60_000);
    const grant = resumed.redeem({ challenge, subject: 'CN=dev-1,O=Contoso', now: later });
    expect(grant).toMatchObject({ deviceId: 'dev-1', profileId: 'wifi', subject: 'CN=dev-1,O=Contoso' });
    expect(grant?.expiresAt.getTime()).toBe(T0.getTime() + 60 * 60_000);
    expect(codeOf(() => resumed.redeem({ challenge, subject: 'CN=dev-1,O=Contoso', now: later }))).toBe(
      'SCEP_CHALLENGE_REUSED',
    );
    cp.close(); // killed again, after the challenge was spent

    cp = open();
    const again = new ChallengeStore();
    again.restore(scepJournal(() => cp).savedChallenges());
    expect(codeOf(() => again.redeem({ challenge, subject: 'CN=dev-1,O=Contoso', now: later }))).toBe(
      'SCEP_CHALLENGE_REUSED',
    );
    cp.close();
  });

  it('the server port (the URL every SCEP payload carries) is saved and read back after a kill', () => {
    const { open } = freshState();
    let cp = open();
    expect(scepJournal(() => cp).savedPort()).toBeUndefined(); // a fresh run binds a free port
    scepJournal(() => cp).keepPort(41_523);
    cp.close();
    cp = open();
    expect(scepJournal(() => cp).savedPort()).toBe(41_523);
    cp.close();
  });

  it('a state of another fleet secret does not open: the grants are sealed', () => {
    const { dir, open } = freshState();
    const cp = open();
    new ChallengeStore({ journal: scepJournal(() => cp).challenges }).issue({
      deviceId: 'dev-1',
      profileId: 'wifi',
      now: T0,
    });
    cp.close();
    expect(
      codeOf(() => ServiceCheckpoint.open(dir, { digest: 'scep-journal', secret: 'another secret' })),
    ).toBe('RUN_STATE_MISMATCH');
    const reopened = open();
    expect(reopened.records(SCEP_CHALLENGES_STORE).size).toBe(1);
    reopened.close();
  });
});

const scepProfile = () =>
  profileOf({
    kind: 'scep-certificate',
    family: 'ios',
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    scepServerUrls: ['http://scep.certfleet.invalid/certsrv/mscep/mscep.dll'],
  });

const scepOf = (challenges: ChallengeStore, issued: ScepIssuedCertificates): ServiceScep => ({
  url: 'http://127.0.0.1:9/certsrv/mscep/mscep.dll',
  challenges,
  caFingerprint: Buffer.alloc(32),
  caThumbprint: '0'.repeat(40),
  sidSecurityExtension: false,
  issued,
});

describe('issue 10 point 3: a SCEP certificate issued after the last checkpoint survives a kill', () => {
  it('a PKIOperation answered, state dropped and restored: the issued record is there and retire revokes it', async () => {
    const { open } = freshState();
    let cp = open();
    const journal = scepJournal(() => cp);
    const challenges = new ChallengeStore({ journal: journal.challenges });
    const issued = new ScepIssuedCertificates({ journal: journal.issued });
    const w = await world({
      assignments: [toAll('wifi', scepProfile())],
      service: { scep: scepOf(challenges, issued) },
    });
    const d = await w.enrol({ platform: 'ios', kind: 'device', answer: 'silent' });
    await w.run(60_000); // the SCEP payload sent
    // the checkpoint of the instant: the service's stores, before the device enrols with the server
    const saved = w.service.saveState();
    cp.checkpoint({
      at: w.clock.now().getTime(),
      instants: 1,
      ledger: [],
      records: SAVED_STORES.flatMap((store) => saved[store].map((r) => ({ store, ...r }))),
    });
    expect(saved['scep-issued']).toHaveLength(0);

    // after it, the device enrols with the SCEP server: the CA issues, the answer leaves
    const now = (): Date => w.clock.now();
    const ra = await loadOrIssueRa(w.ca, { now: now(), key: poolKey('rsa2048', 2) });
    const server = await startScepServer({
      responder: new ScepResponder({ ca: w.ca, ra, challenges, issued, now }),
      port: 0,
    });
    const challenge = challenges.issue({
      deviceId: d.id,
      profileId: 'wifi',
      subject: 'CN=scep-user,O=Contoso',
      now: now(),
    });
    const enrolled = await new ScepClient({ url: server.url, now }).enrol({
      keyPair: poolKey('rsa2048', 7),
      subject: 'CN=scep-user,O=Contoso',
      challenge,
    });
    await server.close();
    const serial = enrolled.certificate.serialNumber;
    expect(w.ca.issuedRecords().filter((r) => r.serial === serial)).toHaveLength(1);
    await w.service.stop();
    cp.close(); // the kill: no checkpoint after the answer

    // the new process: the saved records (the checkpoint's, and what the journal wrote after it)
    cp = open();
    const stored = new Map(SAVED_STORES.map((store) => [store, cp.records(store)] as const));
    expect(stored.get('scep-issued')?.size).toBe(1);
    const again = new ScepIssuedCertificates();
    const restarted = w.restartedService([toAll('wifi', scepProfile())], {
      scep: scepOf(new ChallengeStore(), again),
    });
    restarted.restoreState((store) => stored.get(store) ?? new Map());
    expect(again.of(d.id, 'wifi').map((c) => c.serial)).toEqual([serial]);
    expect(again.latest(d.id, 'wifi')?.transactionId).toBe(enrolled.transactionId);
    await restarted.start();
    await restarted.retireDevice(d.id);
    await w.settle();
    const record = w.ca.issuedRecords().find((r) => r.serial === serial);
    expect(record?.revoked?.reason).toBe('cessationOfOperation');
    await restarted.stop();
    cp.close();
  });
});

describe('issue 10 point 3: a PKCSReq whose answer a kill lost, sent again after the restart', () => {
  it('the same request (same key, same transactionID) gets the certificate issued before the kill: issued once, reported once', async () => {
    const { open } = freshState();
    let cp = open();
    const folder = mkdtempSync(join(base, 'ca-'));
    const ca = await EnterpriseCa.init(folder, {
      now: new Date(T0.getTime() - 86_400_000),
      rootKey: poolKey('rsa2048', 0),
      issuingKey: poolKey('rsa2048', 1),
    });
    const now = (): Date => T0;
    const ra = await loadOrIssueRa(ca, { now: T0, key: poolKey('rsa2048', 2) });
    const build = () => {
      const journal = scepJournal(() => cp);
      const challenges = new ChallengeStore({ journal: journal.challenges });
      challenges.restore(journal.savedChallenges());
      const issued = new ScepIssuedCertificates({ journal: journal.issued });
      issued.restore(cp.records('scep-issued'));
      return { challenges, issued, ca: EnterpriseCa.open(folder) };
    };
    let side = build();
    let responder = new ScepResponder({ ...side, ra, now });
    // the answer of the first PKIOperation never leaves: the process dies once it was handled
    let dies = true;
    const server = await startScepServer({
      responder: {
        handle: (der: Uint8Array) => {
          const answer = responder.handle(der);
          if (dies) {
            dies = false;
            throw new Error('the server process was killed before it answered');
          }
          return answer;
        },
        caCertificates: () => responder.caCertificates(),
      } as unknown as ScepResponder,
      port: 0,
    });
    const subject = 'CN=dev-9,O=Contoso';
    const challenge = side.challenges.issue({ deviceId: 'dev-9', profileId: 'wifi', subject, now: T0 });
    const keyPair = poolKey('rsa2048', 3);
    const client = new ScepClient({ url: server.url, now });
    await expect(client.enrol({ keyPair, subject, challenge })).rejects.toThrow();
    const killedSerials = EnterpriseCa.open(folder)
      .issuedRecords()
      .filter((r) => r.subject === subject)
      .map((r) => r.serial);
    expect(killedSerials).toHaveLength(1);
    cp.close(); // the kill

    cp = open();
    side = build();
    responder = new ScepResponder({ ...side, ra, now });
    const again = await client.enrol({ keyPair, subject, challenge });
    expect(again.certificate.serialNumber).toBe(killedSerials[0]);
    expect(side.ca.issuedRecords().filter((r) => r.subject === subject)).toHaveLength(1);
    expect(side.issued.of('dev-9', 'wifi').map((c) => c.serial)).toEqual(killedSerials);
    // another request (another key) with that challenge is still refused: it was used once
    await expect(
      new ScepClient({ url: server.url, now }).enrol({ keyPair: poolKey('rsa2048', 4), subject, challenge }),
    ).rejects.toThrow();
    expect(responder.failures.at(-1)?.code).toBe('SCEP_CHALLENGE_REUSED');
    await server.close();
    cp.close();
  });
});
