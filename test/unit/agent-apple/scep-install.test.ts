/**
 * Issue 14 point 2 (Apple device side, wired): the adapter's deliverAsync takes an InstallProfile with a
 * `com.apple.security.scep` payload, enrols with the SCEP server over real HTTP using the one-time challenge
 * the service issued, installs the identity in the keychain (the key in the device's store only), and
 * answers Acknowledged; the identity comes up for renewal at the profile's threshold; the same bytes again are UNCHANGED without a new enrolment; a new payload whose
 * challenge was already used fails with the enrolment's code, answers Error with a 4001 chain, and leaves
 * the installed identity as it was (all or nothing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iosAdapter } from '../../../agent/platforms/apple/index.ts';
import { checkRenewals } from '../../../agent/renewal/renewal.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { startScepServer, type RunningScepServer } from '../../../simulator/service/scep/http-server.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS } from '../compile/fixtures.ts';
import { newContext, replyOf } from './fixtures.ts';

const T0 = '2026-03-01T10:00:00Z';
let work: string;
let ca: EnterpriseCa;
let store: ChallengeStore;
let server: RunningScepServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-apple-scep-install-'));
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: new Date(Date.parse(T0) - 86_400_000),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  const ra = await loadOrIssueRa(ca, { now: new Date(T0), key: poolKey('rsa2048', 2) });
  store = new ChallengeStore();
  const responder = new ScepResponder({ ca, ra, challenges: store, now: () => new Date(T0) });
  server = await startScepServer({ responder, port: 0 });
});
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

function profile(): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family: 'ios',
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

function payloadWith(challenge: string): Buffer {
  const c = compileProfile(profile(), FACTS.ios, {
    ids: seededIds('scep-install'),
    scep: { url: server.ndesUrl, challenge },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  return c.payload.bytes;
}

describe('an Apple device installs a SCEP profile', () => {
  let ctx: DeviceContext;
  let first: Buffer;
  let challenge: string;
  beforeAll(() => {
    ctx = { ...newContext('ios', 'device', {}, T0), scepKey: async () => poolKey('rsa2048', 9) };
    challenge = store.issue({ deviceId: ctx.device.id, profileId: 'wifi', now: new Date(T0) });
    first = payloadWith(challenge);
  });

  it('enrols, stores the identity with its key in the keychain, and answers Acknowledged', async () => {
    const r = await iosAdapter.deliverAsync!(ctx, first, { profileId: 'wifi', renewalThreshold: 25 });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'installed' })]);
    expect(r.outcomes[0]!.message).toMatch(/Enrolled over SCEP and installed identity "CN=/);
    expect(replyOf(r).Status).toBe('Acknowledged');
    const ids = ctx.db.items(ctx.device.id).filter((i) => i.kind === 'identity');
    expect(ids).toHaveLength(1);
    const key = poolKey('rsa2048', 9).privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(Buffer.from(ids[0]!.privateKey!).equals(key)).toBe(true);
    expect(ids[0]!.issuer).toBe(ca.issuing.subjectText);
    expect(r.reply.includes(key)).toBe(false);
    expect(r.reply.toString('utf8')).not.toContain(challenge);
  });

  it('the SCEP identity comes up for renewal at the profile threshold (the agent then asks the service)', () => {
    const id = ctx.db.items(ctx.device.id).find((i) => i.kind === 'identity')!;
    const start = Date.parse(id.notBefore);
    const life = Date.parse(id.notAfter) - start;
    const at = (share: number) =>
      checkRenewals(
        { ...ctx, clock: new FixedClock(new Date(start + share * life).toISOString()) },
        { locked: false },
      );
    expect(at(0.5).map((d) => [d.thumbprint, d.action, d.threshold])).toEqual([[id.thumbprint, 'none', 25]]);
    expect(at(0.8).map((d) => [d.thumbprint, d.action])).toEqual([[id.thumbprint, 'renew']]);
  });

  it('the same bytes again are UNCHANGED: no second enrolment (the challenge would be refused)', async () => {
    const r = await iosAdapter.deliverAsync!(ctx, first, { profileId: 'wifi' });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'installed', code: 'UNCHANGED' })]);
  });

  it('a used challenge fails with the enrolment code, Error reply, and leaves the identity installed', async () => {
    const before = ctx.db.items(ctx.device.id);
    // another payload (other ids) with the spent challenge
    const c = compileProfile(profile(), FACTS.ios, {
      ids: seededIds('scep-install-2'),
      scep: { url: server.ndesUrl, challenge },
    });
    if (!c.ok) throw new Error(c.outcome.message);
    const other = { ...ctx, scepKey: async () => poolKey('rsa2048', 10) };
    const r = await iosAdapter.deliverAsync!(other, c.payload.bytes, { profileId: 'wifi' });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'failed', code: 'SCEP_REQUEST_FAILED' })]);
    expect(r.outcomes[0]!.message).toMatch(/SCEP enrolment of payload/);
    const reply = replyOf(r);
    expect(reply.Status).toBe('Error');
    expect(reply.ErrorChain?.map((e) => e.ErrorCode)).toEqual([4001, 1009]);
    expect(ctx.db.items(ctx.device.id)).toEqual(before);
  });
});
