/**
 * A Windows device acts on ClientCertificateInstall/SCEP (issue 14 point 2; agent/platforms/windows/
 * scep-apply.ts, scep-enrol.ts, scep-node.ts) against a real SCEP server on loopback (the run's responder over
 * an enterprise CA), on a virtual clock: the Enroll Exec answers 202 with Status 2 and nothing enrolled yet;
 * the enrolment runs on the device's clock, installs the identity with its key in the KSP the profile names,
 * and the service's Get of Status then reads 1 with the typed outcome — once. The failures (no TPM for
 * KeyProtection 1, an expired challenge, a server of another CA) set Status 16 and the ErrorCode HRESULT;
 * a PENDING server is retried RetryDelay minutes later; a renewal is a RenewalReq signed with the old key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import { deliverSyncml } from '../../../agent/platforms/windows/deliver.ts';
import { sha1Thumbprint } from '../../../pki/index.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { buildScepStatusGet, scepNodeOf } from '../../../profiles/windows/scep-install.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { startScepServer, type RunningScepServer } from '../../../simulator/service/scep/http-server.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS } from '../compile/fixtures.ts';
import { golden } from '../../fixtures/golden.ts';
import { codes, message, reply, trustedAdd } from './fixtures.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
let clock: VirtualClock;
let work: string;
let ca: EnterpriseCa;
let store: ChallengeStore;
let server: RunningScepServer;
let slow: RunningScepServer;
let rootSha1: string;
let db: StoreDb;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-windows-scep-'));
  clock = new VirtualClock(T0);
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: new Date(T0.getTime() - 86_400_000),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  const ra = await loadOrIssueRa(ca, { now: T0, key: poolKey('rsa2048', 2) });
  store = new ChallengeStore({ validityMs: 60 * 60_000 });
  const now = (): Date => clock.now();
  server = await startScepServer({
    responder: new ScepResponder({ ca, ra, challenges: store, now }),
    port: 0,
  });
  // a CA that holds every request for two polls (RetryDelay / RetryCount)
  slow = await startScepServer({
    responder: new ScepResponder({ ca, ra, challenges: store, now, pendingPolls: 2 }),
    port: 0,
  });
  rootSha1 = sha1Thumbprint(ca.root.der);
  db = StoreDb.open(join(work, 'agents.db'));
});

afterAll(async () => {
  await server?.close();
  await slow?.close();
  db?.close();
  rmSync(work, { recursive: true, force: true });
});

let checkIns = 0;
/** Pool keys 3–11: one per enrolment of this file (a key sent twice would be the same SCEP transaction). */
let nextKey = 3;

/** A PC on the virtual clock whose background work runs on it; its SCEP keys come from the pool. */
function pc(index: number, tpm = true): DeviceContext {
  const device = generateDevice({
    seed: 'agent-windows-scep',
    index,
    platform: 'windows',
    kind: 'entra-joined',
    overrides: { tpm, windowsHello: true },
  });
  const ctx: DeviceContext = {
    device,
    db,
    clock,
    scepKey: async () => poolKey('rsa2048', nextKey++),
    background: {
      scheduler: clock,
      checkIn: async () => {
        checkIns += 1;
      },
    },
  };
  // the trusted-certificate profile's root, so that the enrolled identity chains to an installed root
  deliverSyncml(ctx, message([trustedAdd(ca.root, 1)]));
  return ctx;
}

function profile(o: Partial<Record<string, unknown>> = {}): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family: 'windows',
    displayName: 'PC SCEP',
    certificateType: 'user',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    customSubjectAlternativeNames: [{ sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' }],
    extendedKeyUsages: [{ name: 'Client Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.2' }],
    keySize: 'size2048',
    keyStorageProvider: 'useTpmKspOtherwiseUseSoftwareKsp',
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
    ...o,
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

/** The SyncML the service sends this PC: the profile with a fresh one-time challenge. */
function payload(
  deviceId: string,
  o: { profile?: ScepCertificateProfile; url?: string; caThumbprint?: string; challenge?: string } = {},
): Buffer {
  const challenge = o.challenge ?? store.issue({ deviceId, profileId: 'pc-scep', now: clock.now() });
  const c = compileProfile(o.profile ?? profile(), FACTS.windows, {
    ids: seededIds(`pc-${deviceId}`),
    scep: { url: o.url ?? server.ndesUrl, challenge, caThumbprint: o.caThumbprint ?? rootSha1 },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  return c.payload.bytes;
}

/** The service's later Get of the node's Status, ErrorCode and CertThumbprint. */
function query(ctx: DeviceContext, sent: Buffer) {
  const node = scepNodeOf(/<LocURI>(\.\/(?:Device|User)\/[^<]*)<\/LocURI>/.exec(sent.toString('utf8'))![1]!)!;
  const r = deliverSyncml(ctx, message([buildScepStatusGet(node.scope, node.uniqueId, 2)]));
  const base = `./${node.scope}/Vendor/MSFT/ClientCertificateInstall/SCEP/${node.uniqueId}`;
  const results = reply(r.reply).results.get(2)?.items ?? [];
  const value = (leaf: string): string | undefined =>
    results.find((i) => i.source === `${base}/${leaf}`)?.data;
  return {
    outcomes: r.outcomes,
    status: value('Status'),
    errorCode: value('ErrorCode'),
    thumbprint: value('CertThumbprint'),
    base,
  };
}

describe('a Windows device enrols over ClientCertificateInstall/SCEP in the background', () => {
  it('answers the Enroll 202 at once, enrols on its clock, and reports Status 1 and the identity once', async () => {
    const ctx = pc(1);
    const sent = payload(ctx.device.id);
    const first = deliverSyncml(ctx, sent);
    const statuses = Object.values(codes(reply(first.reply)));
    expect(statuses.at(-1)).toBe(202); // the Exec, last command of the Atomic
    expect(statuses.filter((c) => c !== 202 && c !== 200)).toEqual([]);
    expect(first.outcomes).toEqual([]);
    const before = query(ctx, sent);
    expect([before.status, before.outcomes]).toEqual(['2', []]);

    const calls = checkIns;
    await clock.runDue();
    expect(checkIns).toBe(calls + 1); // the device opens a session once its enrolment ended

    const after = query(ctx, sent);
    expect([after.status, after.errorCode]).toEqual(['1', '0']);
    expect(after.outcomes).toHaveLength(1);
    const o = after.outcomes[0]!;
    expect([o.payload, o.status, o.code]).toEqual([after.base, 'installed', 'OK']);
    expect(o.native).toEqual({ platform: 'windows', syncml: 200, cspStatus: '0x00000000' });
    expect(o.message).toContain('(Status 1, ErrorCode 0x00000000 ERROR_SUCCESS)');
    // the identity: user My, key in the TPM (KeyProtection 2 on a PC with a TPM), not exportable
    const ids = db.items(ctx.device.id, { kind: 'identity', ref: after.base });
    expect(ids).toHaveLength(1);
    const id = ids[0]!;
    expect([id.store, id.attrs['ksp'], id.attrs['exportable'], id.thumbprint]).toEqual([
      'windows/user/My',
      'tpm',
      false,
      after.thumbprint,
    ]);
    expect(id.subject).toMatch(/^CN=[^,]+,O=Contoso$/);
    // the private key is in the store and in no message the device sent
    const pkcs8 = id.privateKey!;
    for (const bytes of [
      first.reply,
      deliverSyncml(ctx, message([buildScepStatusGet('User', after.base.split('/').at(-1)!, 2)])).reply,
    ])
      expect(
        bytes.includes(pkcs8) || bytes.toString('utf8').includes(pkcs8.toString('base64').slice(0, 64)),
      ).toBe(false);
    // read again: the result was reported once
    expect(query(ctx, sent).outcomes).toEqual([]);
  });

  it('the same message again changes nothing (200, no enrolment: the one-time challenge is not spent twice)', async () => {
    const ctx = pc(2);
    const sent = payload(ctx.device.id);
    deliverSyncml(ctx, sent);
    await clock.runDue();
    const thumbprint = query(ctx, sent).thumbprint;
    const again = deliverSyncml(ctx, sent);
    expect(Object.values(codes(reply(again.reply))).at(-1)).toBe(200);
    expect(clock.pending).toBe(0);
    expect(query(ctx, sent)).toMatchObject({ status: '1', thumbprint });
  });

  it('KeyProtection 1 on a PC without a TPM: Status 16, ErrorCode NTE_DEVICE_NOT_FOUND, INSTALL_KSP_UNAVAILABLE', async () => {
    const ctx = pc(3, false);
    const sent = payload(ctx.device.id, {
      profile: profile({ keyStorageProvider: 'useTpmKspOtherwiseFail' }),
    });
    expect(Object.values(codes(reply(deliverSyncml(ctx, sent).reply))).at(-1)).toBe(202);
    await clock.runDue();
    const r = query(ctx, sent);
    expect([r.status, r.errorCode]).toEqual(['16', String(0x80090035 | 0)]);
    expect(r.outcomes.map((o) => [o.status, o.code, o.native])).toEqual([
      ['failed', 'INSTALL_KSP_UNAVAILABLE', { platform: 'windows', syncml: 200, cspStatus: '0x80090035' }],
    ]);
    expect(db.items(ctx.device.id, { kind: 'identity', ref: r.base })).toEqual([]);
  });

  it('a server whose CA does not match CAThumbprint is not trusted: INSTALL_UNTRUSTED_CHAIN, CERT_E_UNTRUSTEDROOT', async () => {
    const ctx = pc(4);
    const sent = payload(ctx.device.id, { caThumbprint: '0'.repeat(40) });
    deliverSyncml(ctx, sent);
    await clock.runDue();
    const r = query(ctx, sent);
    expect(r.status).toBe('16');
    expect(r.outcomes.map((o) => [o.code, o.native])).toEqual([
      ['INSTALL_UNTRUSTED_CHAIN', { platform: 'windows', syncml: 200, cspStatus: '0x800B0109' }],
    ]);
  });

  it('a challenge that expired before the PC acted: SCEP_REQUEST_FAILED, ErrorCode CERTSRV_E_ENROLL_DENIED', async () => {
    const ctx = pc(5);
    const sent = payload(ctx.device.id);
    clock.advanceTo(clock.now().getTime() + 2 * 3_600_000);
    deliverSyncml(ctx, sent);
    await clock.runDue();
    const r = query(ctx, sent);
    expect([r.status, r.errorCode]).toEqual(['16', String(0x80094011 | 0)]);
    expect(r.outcomes.map((o) => [o.code, o.native])).toEqual([
      ['SCEP_REQUEST_FAILED', { platform: 'windows', syncml: 200, cspStatus: '0x80094011' }],
    ]);
    expect(r.outcomes[0]!.message).toContain('badRequest');
  });

  it('a PENDING server: the PC tries again RetryDelay (5) minutes later on its clock, then installs', async () => {
    const ctx = pc(6);
    const sent = payload(ctx.device.id, { url: `http://127.0.0.1:${slow.port}/scep` });
    deliverSyncml(ctx, sent);
    const start = clock.now().getTime();
    await clock.runDue();
    expect(query(ctx, sent).status).toBe('2');
    expect(clock.nextAtMs()).toBe(start + 5 * 60_000);
    await clock.runUntil(start + 9 * 60_000);
    expect(query(ctx, sent).status).toBe('2');
    await clock.runUntil(start + 10 * 60_000);
    const r = query(ctx, sent);
    expect([r.status, r.outcomes.map((o) => o.code)]).toEqual(['1', ['OK']]);
  });

  it('a renewal (a new Enroll on a node holding a valid certificate) is a RenewalReq signed with the old key', async () => {
    const ctx = pc(7);
    const sent = payload(ctx.device.id);
    deliverSyncml(ctx, sent);
    await clock.runDue();
    const old = query(ctx, sent);
    expect(old.status).toBe('1');
    // a challenge the server never issued: a PKCSReq would fail, the RenewalReq needs none
    const renewal = payload(ctx.device.id, { challenge: 'never-issued' });
    expect(Object.values(codes(reply(deliverSyncml(ctx, renewal).reply))).at(-1)).toBe(202);
    await clock.runDue();
    const r = query(ctx, renewal);
    expect(r.status).toBe('1');
    expect(r.thumbprint).not.toBe(old.thumbprint);
    expect(r.outcomes[0]!.message).toContain(`It replaces`);
    const ids = db.items(ctx.device.id, { kind: 'identity', ref: r.base });
    expect(ids.map((i) => i.thumbprint)).toEqual([r.thumbprint]);
  });

  it('Delete of the node removes the certificate and key it installed', async () => {
    const ctx = pc(8);
    const sent = payload(ctx.device.id);
    deliverSyncml(ctx, sent);
    await clock.runDue();
    const { base } = query(ctx, sent);
    const d = deliverSyncml(ctx, message([{ kind: 'Delete', cmdId: 2, items: [{ target: base }] }]));
    expect(codes(reply(d.reply))[2]).toBe(200);
    expect(db.items(ctx.device.id, { ref: base })).toEqual([]);
    expect(query(ctx, sent).status).toBeUndefined();
  });
  it('golden: the reply to the Enroll Atomic (Exec 202) and to the Get of a failed node (Status 16, ErrorCode)', async () => {
    const ctx = pc(9, false);
    ctx.scepKey = async () => poolKey('rsa2048', 0); // never sent: the TPM-or-fail check refuses it first
    const sent = payload(ctx.device.id, {
      profile: profile({ keyStorageProvider: 'useTpmKspOtherwiseFail' }),
    });
    const accepted = deliverSyncml(ctx, sent).reply;
    expect(accepted.equals(golden('windows', 'scep-reply-enroll-accepted.xml', accepted))).toBe(true);
    await clock.runDue();
    const node = scepNodeOf(
      /<LocURI>(\.\/(?:Device|User)\/[^<]*)<\/LocURI>/.exec(sent.toString('utf8'))![1]!,
    )!;
    const failed = deliverSyncml(ctx, message([buildScepStatusGet(node.scope, node.uniqueId, 2)])).reply;
    expect(failed.equals(golden('windows', 'scep-reply-status-failed.xml', failed))).toBe(true);
  });

  it('without background work (inspect), the Enroll is refused INSTALL_NOT_SIMULATED and the Atomic rolls back', () => {
    const ctx = pc(10);
    delete ctx.background;
    const r = deliverSyncml(ctx, payload(ctx.device.id, { challenge: 'not-sent' }));
    const c = Object.values(codes(reply(r.reply)));
    expect(c.at(-1)).toBe(500);
    expect(r.outcomes.map((o) => [o.status, o.code])).toContainEqual(['skipped', 'INSTALL_NOT_SIMULATED']);
    expect(db.profiles(ctx.device.id).filter((p) => p.ref.includes('/SCEP/'))).toEqual([]);
    expect(clock.pending).toBe(0);
  });
  it('a PC that restarted while its enrolment ran: Status 16, ErrorCode E_ABORT, SCEP_ENROLMENT_INTERRUPTED', async () => {
    const before = pc(11);
    // the enrolment is scheduled on a clock that never runs: the process that held it is gone
    before.background = { scheduler: new VirtualClock(T0), checkIn: async () => undefined };
    const sent = payload(before.device.id, { challenge: 'lost-with-the-process' });
    expect(Object.values(codes(reply(deliverSyncml(before, sent).reply))).at(-1)).toBe(202);
    const reopened = StoreDb.open(join(work, 'agents.db'));
    try {
      const after: DeviceContext = { ...before, db: reopened };
      const r = query(after, sent);
      expect([r.status, r.errorCode]).toEqual(['16', String(0x80004004 | 0)]);
      expect(r.outcomes.map((o) => [o.status, o.code, o.native])).toEqual([
        [
          'failed',
          'SCEP_ENROLMENT_INTERRUPTED',
          { platform: 'windows', syncml: 200, cspStatus: '0x80004004' },
        ],
      ]);
    } finally {
      reopened.close();
    }
  });
});
