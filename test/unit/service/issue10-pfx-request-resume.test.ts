/**
 * Issue 10 point 3 — an imported-PFX request (the tenant's PFX connector's work, issue 14 point 3) survives a
 * resume as a PKCS request does: queued and not yet leased when the service is saved, it is in the restored
 * service's queue with its role, the PFX connector (not a certificate connector) leases it from the new
 * service, and the PC installs the imported certificate. saveState → restoreState, a real CA folder and
 * tenant key, the loopback bus, the virtual clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { parseCertificate } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { decryptPfxPassword } from '../../../profiles/windows/pfx-password.ts';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import type { ConnectorWork, BatchMessage } from '../../../simulator/service/connector/protocol.ts';
import { PfxConnector } from '../../../simulator/service/connector/pfx-connector.ts';
import { importedProfile, importSmimeFor } from './imported-pfx-fixture.ts';
import { outcomeOf, TENANT, toAll, world } from './harness.ts';

const PASSWORD = 'Resume-Pfx-Pw-5521';
const imported = () => importedProfile('windows');

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

describe('issue 10 point 3: an imported-PFX request survives a resume', () => {
  it('queued when saved, leased by the PFX connector from the restored service, installed', async () => {
    // no PFX connector yet: the request stays queued in the first service
    const w = await world({ assignments: [toAll('smime', imported())], connectors: 1 });
    const upn = generateDevice({ seed: 'service-world', index: 0, platform: 'windows', kind: 'entra-joined' })
      .user!.userPrincipalName;
    const smime = await importSmimeFor(w, upn, { password: PASSWORD });
    const pc = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(60_000);
    expect(w.service.pendingRequests).toBe(1);
    expect(outcomeOf(w.service, pc.id, 'smime')?.status).not.toBe('installed');
    const saved = w.service.saveState();
    expect(saved.requests.length).toBeGreaterThan(0);
    await w.service.stop();
    // the certificate connector of the killed process is gone too
    for (const c of w.connectors) await c.stop();

    const restarted = w.restartedService([toAll('smime', imported())]);
    restarted.restoreState((store) => new Map(saved[store].map((r) => [r.key, r.value] as const)));
    expect(restarted.pendingRequests).toBe(1);
    await restarted.start();
    stops.push(() => restarted.stop());
    const connector = new PfxConnector({
      tenant: TENANT,
      dir: w.ca.dir,
      seal: w.ca,
      transport: w.bus.transport(`pfx-connector-${TENANT}`),
      clock: w.clock,
    });
    await connector.start();
    stops.push(() => connector.stop());
    const settle = async (): Promise<void> => {
      for (;;) {
        await w.bus.settle();
        await restarted.idle();
        await connector.idle();
        if (!w.bus.busy) return;
      }
    };
    await w.clock.runUntil(w.clock.now().getTime() + 5 * 60_000, settle);

    const leases = w.bus
      .on(`certfleet/${TENANT}/service/to-connector/pfx-connector-${TENANT}/batch`)
      .flatMap((p) => (JSON.parse(p.payload.toString('utf8')) as BatchMessage<ConnectorWork>).leases);
    expect(
      leases.map((l) => ['kind' in l.work ? l.work.kind : 'pkcs', l.work.deviceId, l.work.profile]),
    ).toEqual([['imported-pfx', pc.id, 'smime']]);
    expect(restarted.pendingRequests).toBe(0);
    expect(outcomeOf(restarted, pc.id, 'smime')).toMatchObject({ status: 'installed', code: 'OK' });
    const sent = pc.payloads().find((p) => p.topic.includes('/smime/'))!;
    const xml = decodeSyncml(sent.payload);
    if (!xml.ok) throw new Error('SyncML does not decode');
    const install = decodePfxInstalls(xml.message).installs[0]!.install;
    const password = decryptPfxPassword(install.password!, [
      { certificate: pc.certificate!, privateKey: pc.key.privateKey },
    ]);
    const onPc = parseCertificate(parsePkcs12(install.pfxBlob, password).certificates[0]!);
    expect(onPc.sha1Thumbprint).toBe(smime.sha1Thumbprint);
  });
});
