/**
 * Issue 14 point 3: the PFX connector as a client of its own, one per tenant. The service queues one
 * imported-PFX request per device × imported profile; the tenant's PFX connector leases it over the
 * certificate connectors' protocol (poll with role `pfx-import` → batch → commit → result), opens the user's
 * import with the tenant key, re-encrypts the password to the device's management certificate and answers.
 * A certificate connector never gets that work, and the PFX connector never gets PKCS work. One connector per
 * tenant (two tenants → two), never one per device. Failures come from the connector with their codes: no
 * import (PFX_NOT_IMPORTED), tenant key missing or not the one the password was encrypted to (PFX_TENANT_KEY).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { parseCertificate } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { decryptPfxPassword } from '../../../profiles/windows/pfx-password.ts';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';
import { roleOfClientId } from '../../../simulator/fleet/fleet-secret.ts';
import {
  needsPfxConnector,
  pfxConnectorIds,
  startPfxConnectors,
} from '../../../simulator/fleet/pfx-connectors.ts';
import type {
  BatchMessage,
  ConnectorWork,
  ImportedPfxResult,
  ImportedPfxWork,
  PollMessage,
  ResultMessage,
} from '../../../simulator/service/connector/protocol.ts';
import { PfxConnector } from '../../../simulator/service/connector/pfx-connector.ts';
import { TENANT_KEY_FILES } from '../../../simulator/service/pfx-import/tenant-key.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { LoopbackBus, type Published } from './loopback-transport.ts';
import { FakeDevice, outcomeOf, pkcs, START, toAll, world } from './harness.ts';
import { importedProfile, importSmimeFor } from './imported-pfx-fixture.ts';

const PASSWORD = 'Pfx-Connector-Pw-7731';
const ROOT = join(import.meta.dirname, '../../..');
const imported = importedProfile;
const json = <T>(p: Published): T => JSON.parse(p.payload.toString('utf8')) as T;
const scratch = mkdtempSync(join(tmpdir(), 'certfleet-pfx-connector-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type World = Awaited<ReturnType<typeof world>>;

/** The user of device `index` of the harness's seeded devices (the one w.enrol makes as its index-th). */
function userOf(index: number, platform: 'windows' | 'ios', kind: 'entra-joined' | 'device'): string {
  return generateDevice({ seed: 'service-world', index, platform, kind }).user!.userPrincipalName;
}

/** Imports an S/MIME PFX the world's CA issues for `upn` into the tenant folder `dir` (default the CA's). */
const importFor = (w: World, upn: string, key = 7, dir = w.ca.dir) =>
  importSmimeFor(w, upn, { password: PASSWORD, key, dir });

/** The protocol messages of `clientId` / to it, decoded. */
function exchange(w: World, clientId: string) {
  const polls = w.bus.on('certfleet/contoso/service/to-service/poll').filter((p) => p.from === clientId);
  const batches = w.bus.on(`certfleet/contoso/service/to-connector/${clientId}/batch`);
  const commits = w.bus.on('certfleet/contoso/service/to-service/commit').filter((p) => p.from === clientId);
  const results = w.bus.on('certfleet/contoso/service/to-service/result').filter((p) => p.from === clientId);
  return {
    polls: polls.map((p) => json<PollMessage>(p)),
    leases: batches.flatMap((p) => json<BatchMessage<ConnectorWork>>(p).leases),
    commits: commits.length,
    results: results.map((p) => json<ResultMessage>(p)),
  };
}

describe('the PFX connector leases an imported-PFX request and answers it', () => {
  it('poll (role pfx-import) → batch → commit → result; the Windows password reaches the service only encrypted to the PC', async () => {
    const w = await world({
      assignments: [toAll('smime-windows', imported('windows')), toAll('wifi', pkcs('windows'))],
      connectors: 1,
      pfxConnector: true,
    });
    const smime = await importFor(w, userOf(0, 'windows', 'entra-joined'));
    const pc = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    expect(w.service.pendingRequests).toBe(2); // one PKCS request, one imported-PFX request
    await w.run(60_000);

    const pfx = exchange(w, 'pfx-connector-contoso');
    expect(pfx.polls.length).toBeGreaterThan(0);
    expect(pfx.polls.every((p) => p.role === 'pfx-import')).toBe(true);
    expect(pfx.leases).toHaveLength(1);
    const work = pfx.leases[0]!.work;
    expect(work).toMatchObject({
      kind: 'imported-pfx',
      deviceId: pc.id,
      profile: 'smime-windows',
      purpose: 'smimeEncryption',
      reason: 'initial',
      deviceCertificate: pc.certificate!.der.toString('base64'),
    });
    expect(pfx.commits).toBe(1);
    expect(pfx.results).toHaveLength(1);
    const result = pfx.results[0]!.result as Extract<ImportedPfxResult, { ok: true }>;
    expect(result).toMatchObject({ ok: true, kind: 'imported-pfx', thumbprint: smime.sha1Thumbprint });
    expect(result.password).toBeUndefined(); // never in clear for a PC
    const fromConnector = decryptPfxPassword(result.encryptedPassword!, [
      { certificate: pc.certificate!, privateKey: pc.key.privateKey },
    ]);
    expect(fromConnector).toBe(PASSWORD);

    // the certificate connector got the PKCS request only; the PFX connector nothing of PKCS
    const cert = exchange(w, 'connector-1');
    expect(cert.polls.every((p) => p.role === undefined)).toBe(true);
    expect(cert.leases.map((l) => l.work.profile)).toEqual(['wifi']);

    // what the PC got: the imported certificate, its password the connector's ciphertext, installed
    const sent = pc.payloads().find((p) => p.topic.includes('/smime-windows/'))!;
    const xml = decodeSyncml(sent.payload);
    if (!xml.ok) throw new Error('SyncML does not decode');
    const install = decodePfxInstalls(xml.message).installs[0]!.install;
    expect([install.passwordEncryptionType, install.password]).toEqual([1, result.encryptedPassword]);
    const onPc = parseCertificate(parsePkcs12(install.pfxBlob, fromConnector).certificates[0]!);
    expect(onPc.sha1Thumbprint).toBe(smime.sha1Thumbprint);
    expect(outcomeOf(w.service, pc.id, 'smime-windows')).toMatchObject({ status: 'installed', code: 'OK' });
    expect(w.service.events().filter((e) => e.type === 'imported-pfx-opened')).toEqual([
      expect.objectContaining({ device: pc.id, detail: expect.stringContaining('pfx-connector-contoso') }),
    ]);
    expect(w.bus.errors).toEqual([]);
    await w.service.stop();
  });

  it('a re-enrolled PC (new key) gets the password re-encrypted by the connector to its new management certificate', async () => {
    const w = await world({ assignments: [toAll('smime-windows', imported('windows'))], pfxConnector: true });
    await importFor(w, userOf(0, 'windows', 'entra-joined'));
    const pc = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(60_000);
    expect(outcomeOf(w.service, pc.id, 'smime-windows')).toMatchObject({ status: 'installed' });
    const first = pc.certificate!; // (the old FakeDevice hears the new enrol answer too)
    // the agent lost its state: a new key, a new management certificate
    const lost = new FakeDevice(pc.device, w.bus, poolKey('rsa2048', 3));
    await lost.enrol();
    await w.run(16 * 60_000); // the PFX connector's next poll, its idle backoff at most 15 min
    const leases = exchange(w, 'pfx-connector-contoso').leases;
    expect(leases.map((l) => (l.work as ImportedPfxWork).deviceCertificate)).toEqual([
      first.der.toString('base64'),
      lost.certificate!.der.toString('base64'),
    ]);
    expect(lost.certificate!.serialNumber).not.toBe(first.serialNumber);
    const xml = decodeSyncml(lost.payloads().at(-1)!.payload);
    if (!xml.ok) throw new Error('SyncML does not decode');
    const install = decodePfxInstalls(xml.message).installs[0]!.install;
    const mine = [{ certificate: lost.certificate!, privateKey: lost.key.privateKey }];
    expect(decryptPfxPassword(install.password!, mine)).toBe(PASSWORD);
    const old = [{ certificate: first, privateKey: pc.key.privateKey }];
    expect(() => decryptPfxPassword(install.password!, old)).toThrow(/does not hold/);
    await w.service.stop();
  });

  it('a PC that re-enrols before the connector answers: the answer for its old certificate is not sent, the request goes again', async () => {
    const w = await world({ assignments: [toAll('smime-windows', imported('windows'))], pfxConnector: true });
    await importFor(w, userOf(0, 'windows', 'entra-joined'));
    const pc = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    const first = pc.certificate!;
    const lost = new FakeDevice(pc.device, w.bus, poolKey('rsa2048', 3));
    await lost.enrol(); // before any poll of the PFX connector: its request names the first certificate
    await w.settle();
    await w.run(16 * 60_000);
    const leases = exchange(w, 'pfx-connector-contoso').leases;
    expect(leases.map((l) => (l.work as ImportedPfxWork).deviceCertificate)).toEqual([
      first.der.toString('base64'),
      lost.certificate!.der.toString('base64'),
    ]);
    const sent = lost.payloads().filter((p) => p.topic.includes('/smime-windows/'));
    expect(sent).toHaveLength(1); // only the one encrypted to the new certificate
    const xml = decodeSyncml(sent[0]!.payload);
    if (!xml.ok) throw new Error('SyncML does not decode');
    const install = decodePfxInstalls(xml.message).installs[0]!.install;
    const mine = [{ certificate: lost.certificate!, privateKey: lost.key.privateKey }];
    expect(decryptPfxPassword(install.password!, mine)).toBe(PASSWORD);
    expect(outcomeOf(w.service, pc.id, 'smime-windows')).toMatchObject({ status: 'installed' });
    await w.service.stop();
  });

  it('a lease the PFX connector never commits runs out and the request is leased again (lease-expired), then answered', async () => {
    const w = await world({ assignments: [toAll('smime-ios', imported('ios'))], connectors: 1 });
    await importFor(w, userOf(0, 'ios', 'device'));
    const phone = await w.enrol({ platform: 'ios', kind: 'device' });
    // a PFX connector that claims and then dies: a bare client polling with the role, never committing
    const dead = w.bus.transport('pfx-connector-dead');
    const poll: PollMessage = {
      type: 'poll',
      connectorId: 'pfx-connector-dead',
      pollId: 'p1',
      max: 5,
      role: 'pfx-import',
    };
    await dead.publish('certfleet/contoso/service/to-service/poll', Buffer.from(JSON.stringify(poll)));
    await w.settle();
    expect(exchange(w, 'pfx-connector-dead').leases.map((l) => l.leaseId)).toEqual(['req-1.1']);
    await dead.close();
    const live = new PfxConnector({
      tenant: 'contoso',
      dir: w.ca.dir,
      seal: w.ca,
      transport: w.bus.transport('pfx-connector-contoso'),
      clock: w.clock,
    });
    await live.start();
    await w.run(60_000); // within the 5 min lease: nothing for the live connector
    expect(exchange(w, 'pfx-connector-contoso').leases).toEqual([]);
    await w.run(16 * 60_000); // its next poll after the lease ran out (idle backoff at most 15 min)
    await live.idle();
    await w.settle();
    expect(exchange(w, 'pfx-connector-contoso').leases.map((l) => l.leaseId)).toEqual(['req-1.2']);
    expect(
      w.service
        .events()
        .filter((e) => e.type === 'lease-expired')
        .map((e) => e.device),
    ).toEqual([phone.id]);
    expect(outcomeOf(w.service, phone.id, 'smime-ios')).toMatchObject({ status: 'installed' });
    await live.stop();
    await w.service.stop();
  });

  it('without the PFX connector the request stays queued and pending: the service opens nothing itself', async () => {
    const w = await world({ assignments: [toAll('smime-ios', imported('ios'))], connectors: 1 });
    await importFor(w, userOf(0, 'ios', 'device'));
    const phone = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(30 * 60_000);
    expect(w.service.pendingRequests).toBe(1);
    expect(exchange(w, 'connector-1').leases).toEqual([]); // a certificate connector never takes it
    expect(outcomeOf(w.service, phone.id, 'smime-ios')).toMatchObject({ status: 'pending' });
    expect(phone.payloads()).toEqual([]);
    await w.service.stop();
  });
});

describe('one PFX connector per tenant, never one per device', () => {
  it('four devices of two users: one connector, pfx-connector-contoso, answers every request', async () => {
    const w = await world({
      assignments: [toAll('smime-windows', imported('windows')), toAll('smime-ios', imported('ios'))],
      connectors: 2,
      pfxConnector: true,
    });
    await importFor(w, userOf(0, 'windows', 'entra-joined'), 7);
    await importFor(w, userOf(2, 'windows', 'entra-joined'), 6);
    const devices = [
      await w.enrol({ platform: 'windows', kind: 'entra-joined' }),
      await w.enrol({ platform: 'ios', kind: 'device' }),
      await w.enrol({ platform: 'windows', kind: 'entra-joined' }),
      await w.enrol({ platform: 'ios', kind: 'device' }),
    ];
    await w.run(60_000);
    const results = w.bus.on('certfleet/contoso/service/to-service/result').map((p) => p.from);
    expect(results).toHaveLength(devices.length);
    expect(new Set(results)).toEqual(new Set(['pfx-connector-contoso']));
    const pollers = new Set(
      w.bus
        .on('certfleet/contoso/service/to-service/poll')
        .filter((p) => json<PollMessage>(p).role === 'pfx-import')
        .map((p) => p.from),
    );
    expect(pollers).toEqual(new Set(['pfx-connector-contoso']));
    expect(w.service.counters().connectorLoad).toEqual({ 'pfx-connector-contoso': devices.length });
    await w.service.stop();
  });

  it('two tenants → two connectors, each its own client polling its own tenant; a tenant given twice is refused', async () => {
    const bus = new LoopbackBus();
    const clock = new VirtualClock(START);
    const connected: string[] = [];
    const connect = async (id: string) => {
      connected.push(id);
      return bus.transport(id);
    };
    const twice = await startPfxConnectors({
      tenants: [
        { tenant: 'contoso', dir: join(scratch, 'a') },
        { tenant: 'contoso', dir: join(scratch, 'b') },
      ],
      connect,
      clock,
      pollIntervalMs: 30_000,
    }).catch((e: unknown) => e);
    expect(isCertfleetError(twice, 'USAGE')).toBe(true);
    expect(connected).toEqual([]); // refused before anything started

    const started = await startPfxConnectors({
      tenants: [
        { tenant: 'contoso', dir: join(scratch, 'contoso') },
        { tenant: 'fabrikam', dir: join(scratch, 'fabrikam') },
      ],
      connect,
      clock,
      pollIntervalMs: 30_000,
    });
    expect([...started.keys()]).toEqual(['contoso', 'fabrikam']);
    expect([...started.values()].map((c) => c.id)).toEqual([
      'pfx-connector-contoso',
      'pfx-connector-fabrikam',
    ]);
    expect(connected).toEqual(['pfx-connector-contoso', 'pfx-connector-fabrikam']);
    await clock.runUntil(START.getTime() + 1, () => bus.settle());
    const polls = bus.on('certfleet/+/service/to-service/poll');
    expect(polls.map((p) => [p.from, p.topic.split('/')[1], json<PollMessage>(p).role])).toEqual([
      ['pfx-connector-contoso', 'contoso', 'pfx-import'],
      ['pfx-connector-fabrikam', 'fabrikam', 'pfx-import'],
    ]);
    await Promise.all([...started.values()].map((c) => c.stop()));
  });

  it('the fleet starts one for a scenario with an imported profile and none without; its broker role is connector', () => {
    const smime = loadScenario(join(ROOT, 'scenarios', 'smime-imported.yaml'));
    expect(needsPfxConnector(smime)).toBe(true);
    expect(pfxConnectorIds('contoso', smime)).toEqual(['pfx-connector-contoso']);
    expect(needsPfxConnector(loadScenario(join(ROOT, 'scenarios', 'scep-mixed.yaml')))).toBe(false);
    expect(roleOfClientId('pfx-connector-contoso')).toBe('connector');
  });
});

describe('the PFX connector fails with its codes, and nothing is sent', () => {
  it('a user without an import: the connector answers PFX_NOT_IMPORTED, naming the user and purpose', async () => {
    const w = await world({ assignments: [toAll('smime-ios', imported('ios'))], pfxConnector: true });
    const phone = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(60_000);
    const [r] = exchange(w, 'pfx-connector-contoso').results;
    expect(r?.result).toMatchObject({ ok: false, code: 'PFX_NOT_IMPORTED' });
    const o = outcomeOf(w.service, phone.id, 'smime-ios');
    expect(o).toMatchObject({ status: 'failed', code: 'PFX_NOT_IMPORTED' });
    expect(o?.message).toContain(phone.device.user!.userPrincipalName);
    expect(o?.message).toContain('smimeEncryption');
    expect(phone.payloads()).toEqual([]);
    await w.service.stop();
  });

  it.each([
    ['missing', /is missing/],
    ['another tenant key', /encrypted to another key/],
  ] as const)('tenant key %s: PFX_TENANT_KEY, saying which, no secret in it', async (which, says) => {
    const w = await world({ assignments: [toAll('smime-ios', imported('ios'))], pfxConnector: true });
    await importFor(w, userOf(0, 'ios', 'device'));
    if (which === 'missing') {
      rmSync(join(w.ca.dir, TENANT_KEY_FILES.key));
    } else {
      // another tenant's key put in place of this one's: the stored password is not encrypted to it
      const other = join(scratch, `other-${Math.random().toString(36).slice(2)}`);
      await importFor(w, 'someone@fabrikam.com', 6, other);
      copyFileSync(join(other, TENANT_KEY_FILES.key), join(w.ca.dir, TENANT_KEY_FILES.key));
      copyFileSync(join(other, TENANT_KEY_FILES.certificate), join(w.ca.dir, TENANT_KEY_FILES.certificate));
    }
    const phone = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(60_000);
    const o = outcomeOf(w.service, phone.id, 'smime-ios');
    expect(o).toMatchObject({ status: 'failed', code: 'PFX_TENANT_KEY' });
    expect(o?.message).toMatch(says);
    expect(o?.message).not.toContain(PASSWORD);
    expect(w.service.events().some((e) => e.type === 'failed' && e.detail.startsWith('PFX_TENANT_KEY'))).toBe(
      true,
    );
    expect(phone.payloads()).toEqual([]);
    await w.service.stop();
  });
});
