/**
 * QA walkthrough (Windows SCEP), end to end against the run's SCEP server on loopback: a profile whose key goes
 * to Windows Hello for Business (`usePassportForWorkKspOtherwiseFail`, KeyProtection 4) enrols on a PC with
 * Windows Hello — its payload names the container CCI requires; a UPN given twice (type flag + custom SAN)
 * is one UPN in the certificate; and the profile's EKUs are requested but the certificate carries the
 * template's, which unusedSettingsOf says (as for PKCS, Apple and Android SCEP).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import { deliverSyncml } from '../../../agent/platforms/windows/deliver.ts';
import { parseCertificate, sha1Thumbprint, type Certificate } from '../../../pki/index.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { unusedSettingsOf } from '../../../profiles/model/unused-settings.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { buildScepStatusGet, scepNodeOf } from '../../../profiles/windows/scep-install.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { APPLICATION_POLICIES } from '../../../simulator/service/ca/template.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { startScepServer, type RunningScepServer } from '../../../simulator/service/scep/http-server.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS } from '../compile/fixtures.ts';
import { codes, message, reply, trustedAdd } from './fixtures.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
const SMART_CARD_LOGON = '1.3.6.1.4.1.311.20.2.2';
let clock: VirtualClock;
let work: string;
let ca: EnterpriseCa;
let store: ChallengeStore;
let server: RunningScepServer;
let rootSha1: string;
let db: StoreDb;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-windows-scep-settings-'));
  clock = new VirtualClock(T0);
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: new Date(T0.getTime() - 86_400_000),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  const ra = await loadOrIssueRa(ca, { now: T0, key: poolKey('rsa2048', 2) });
  store = new ChallengeStore({ validityMs: 60 * 60_000 });
  server = await startScepServer({
    responder: new ScepResponder({ ca, ra, challenges: store, now: () => clock.now() }),
    port: 0,
  });
  rootSha1 = sha1Thumbprint(ca.root.der);
  db = StoreDb.open(':memory:');
});

afterAll(async () => {
  await server?.close();
  db?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Pool keys 3–5: one per enrolment of this file (0–2 are the CA's and the RA's). */
let nextKey = 3;

/** A PC with a TPM and Windows Hello for Business, whose background work runs on the virtual clock. */
function pc(index: number): DeviceContext {
  const device = generateDevice({
    seed: 'agent-windows-scep-settings',
    index,
    platform: 'windows',
    kind: 'entra-joined',
    overrides: { tpm: true, windowsHello: true },
  });
  const ctx: DeviceContext = {
    device,
    db,
    clock,
    scepKey: async () => poolKey('rsa2048', nextKey++),
    background: { scheduler: clock, checkIn: async () => undefined },
  };
  deliverSyncml(ctx, message([trustedAdd(ca.root, 1)]));
  return ctx;
}

function profile(o: Record<string, unknown> = {}): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family: 'windows',
    displayName: 'PC SCEP',
    certificateType: 'user',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    customSubjectAlternativeNames: [{ sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' }],
    keyStorageProvider: 'useSoftwareKsp',
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
    ...o,
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

/** Sends `p` compiled with a fresh challenge, runs the enrolment, and reads the node's result. */
async function enrol(ctx: DeviceContext, p: ScepCertificateProfile) {
  const challenge = store.issue({ deviceId: ctx.device.id, profileId: 'pc-scep', now: clock.now() });
  const c = compileProfile(p, FACTS.windows, {
    ids: seededIds(`pc-${ctx.device.id}`),
    scep: { url: server.ndesUrl, challenge, caThumbprint: rootSha1 },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  const sent = c.payload.bytes;
  const accepted = deliverSyncml(ctx, sent);
  const exec = Object.values(codes(reply(accepted.reply))).at(-1);
  await clock.runDue();
  const node = scepNodeOf(/<LocURI>(\.\/(?:Device|User)\/[^<]*)<\/LocURI>/.exec(sent.toString('utf8'))![1]!)!;
  const r = deliverSyncml(ctx, message([buildScepStatusGet(node.scope, node.uniqueId, 2)]));
  const base = `./${node.scope}/Vendor/MSFT/ClientCertificateInstall/SCEP/${node.uniqueId}`;
  const status = reply(r.reply)
    .results.get(2)
    ?.items.find((i) => i.source === `${base}/Status`)?.data;
  const ids = db.items(ctx.device.id, { kind: 'identity', ref: base });
  return {
    exec,
    problems: accepted.outcomes.map((o) => `${o.code}: ${o.message}`),
    status,
    outcomes: r.outcomes.map((o) => o.code),
    uniqueId: node.uniqueId,
    identity: ids[0],
    certificate: ids[0] === undefined ? undefined : (parseCertificate(ids[0].certificate) as Certificate),
  };
}

describe('Windows SCEP profile settings on a PC that enrols', () => {
  it('usePassportForWorkKspOtherwiseFail: the payload is taken (Exec 202), the key goes to Windows Hello in the named container', async () => {
    const r = await enrol(pc(1), profile({ keyStorageProvider: 'usePassportForWorkKspOtherwiseFail' }));
    expect(r.problems).toEqual([]);
    expect(r.exec).toBe(202);
    expect([r.status, r.outcomes]).toEqual(['1', ['OK']]);
    expect(r.identity?.attrs).toMatchObject({
      keyLocation: 4,
      ksp: 'passport',
      containerName: `certfleet-${r.uniqueId}`,
    });
  });

  it('the UPN type flag and a custom {{UserPrincipalName}} UPN SAN: one UPN in the certificate', async () => {
    const r = await enrol(pc(2), profile({ subjectAlternativeNameType: ['userPrincipalName'] }));
    expect([r.status, r.outcomes]).toEqual(['1', ['OK']]);
    expect(r.certificate!.subjectAltName).toEqual([{ type: 'upn', value: 'ada@contoso.com' }]);
  });

  it('Smart Card Logon is requested but the certificate has the template’s EKUs, and the profile says so', async () => {
    const p = profile({
      extendedKeyUsages: [{ name: 'Smart Card Logon', objectIdentifier: SMART_CARD_LOGON }],
    });
    expect(unusedSettingsOf(p).map((u) => [u.path, u.code])).toEqual([
      ['extendedKeyUsages', 'PROFILE_SETTING_UNUSED'],
    ]);
    const r = await enrol(pc(3), p);
    expect([r.status, r.outcomes]).toEqual(['1', ['OK']]);
    const template = ca.templates().find((t) => t.template.name === 'CertfleetUser')!.template;
    expect(r.certificate!.extKeyUsage).toEqual(
      template.applicationPolicies.map((a) => APPLICATION_POLICIES[a]),
    );
    expect(r.certificate!.extKeyUsage).not.toContain(SMART_CARD_LOGON);
  });
});
