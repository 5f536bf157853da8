/**
 * Issue 10 point 3 — 0 issued twice across a kill mid-issuance: a connector killed after the CA issued and
 * before its result reached the service (its result message lost, the connector object dropped) leaves
 * the request to a fresh connector on the same CA and key journal (service-state.db, sealed), which finds
 * the CA's record of the request and delivers that certificate with the kept key — it does not ask the CA
 * again. The real CA folder, a real SQLite service-state.db, the loopback bus, the virtual clock.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../pki/index.ts';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { parseDeviceTopic } from '../../../protocol/wire/topics.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { connectorKeyJournal } from '../../../simulator/fleet/connector-keys.ts';
import { SERVICE_STATE_FILE, ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import { CertificateConnector } from '../../../simulator/service/connector/certificate-connector.ts';
import { connectorTopics } from '../../../simulator/service/connector/protocol.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { outcomeOf, pkcs, TENANT, toAll, world } from './harness.ts';

const base = mkdtempSync(join(tmpdir(), 'certfleet-i10-kill-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** `t`, except that its result messages are lost (the process died before they left). */
function losingResults(t: Transport, lost: { count: number }): Transport {
  const result = connectorTopics(TENANT).result;
  return {
    clientId: t.clientId,
    publish: async (topic, payload, options) => {
      if (topic === result) {
        lost.count += 1;
        return;
      }
      await t.publish(topic, payload, options);
    },
    subscribe: (filter, handler) => t.subscribe(filter, handler),
    close: () => t.close(),
  };
}

describe('issue 10 point 3: a connector killed between the CA answer and its result', () => {
  it('the next connector delivers the certificate the CA issued, with the kept key: issued once', async () => {
    const w = await world({ assignments: [toAll('wifi', pkcs('ios'))], connectors: 0 });
    const checkpoint = ServiceCheckpoint.open(base, { digest: 'kill-test', secret: 'kill-test-secret' });
    const journal = connectorKeyJournal(() => checkpoint);
    const lost = { count: 0 };
    const killed = new CertificateConnector({
      id: 'connector-1',
      tenant: TENANT,
      transport: losingResults(w.bus.transport('connector-1'), lost),
      ca: w.ca,
      clock: w.clock,
      keys: new FixedKeySource([poolKey('rsa2048', 2)]),
      keyJournal: journal,
      maxIdlePollIntervalMs: 30_000,
    });
    await killed.start();
    const d = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(0);
    await killed.idle();
    await w.settle();
    const records = () => w.ca.issuedRecords().filter((r) => r.template === 'CertfleetUser');
    // the CA issued, the result never reached the service
    expect(lost.count).toBe(1);
    expect(records()).toHaveLength(1);
    const [issued] = records();
    expect(issued!.requestId).toBe(`${checkpoint.scope}/req-1`);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).not.toBe('installed');
    // the key is kept sealed: its PKCS#8 bytes are nowhere in the file
    const pkcs8 = poolKey('rsa2048', 2).privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(journal.find('req-1')?.export({ type: 'pkcs8', format: 'der' }).equals(pkcs8)).toBe(true);
    const file = readFileSync(join(base, SERVICE_STATE_FILE));
    expect(file.includes(pkcs8.subarray(-64))).toBe(false);
    await killed.stop(); // the object is dropped: nothing of it goes on

    // a fresh connector on the same CA and journal, with other keys (a new key would show a second issuance)
    const fresh = new CertificateConnector({
      id: 'connector-2',
      tenant: TENANT,
      transport: w.bus.transport('connector-2'),
      ca: w.ca,
      clock: w.clock,
      keys: new FixedKeySource([poolKey('rsa2048', 5)]),
      keyJournal: journal,
      maxIdlePollIntervalMs: 30_000,
    });
    await fresh.start();
    w.connectors.push(fresh);
    await w.run(30 * 60_000); // the commit deadline runs out on the virtual clock; connector-2 takes it
    expect(fresh.served).toBe(1);
    expect(records()).toHaveLength(1);
    expect(w.ca.issuedRecords().filter((r) => r.requestId === issued!.requestId)).toHaveLength(1);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    // the device got that certificate, with the key the first connector made
    const payload = d
      .payloads()
      .find((p) => parseDeviceTopic(TENANT, p.topic)?.kind === 'payload' && p.topic.includes('/wifi/'))!;
    const m = decodeMobileconfig(payload.payload, { platform: 'ios' });
    if (!m.ok) throw new Error('mobileconfig does not decode');
    const bag = m.profile.PayloadContent.find(
      (c) => c.PayloadType === 'com.apple.security.pkcs12',
    ) as unknown as {
      PayloadContent: Uint8Array;
      Password: string;
    };
    const opened = parsePkcs12(Buffer.from(bag.PayloadContent), bag.Password);
    const leaf = parseCertificate(opened.certificates[0]!);
    expect(leaf.sha1Thumbprint).toBe(issued!.thumbprint);
    expect(leaf.serialNumber).toBe(issued!.serial);
    expect(opened.privateKey.export({ type: 'pkcs8', format: 'der' }).equals(pkcs8)).toBe(true);
    await fresh.stop();
    checkpoint.close();
  });

  it('without a kept key the CA record carries no request id (nothing to find)', async () => {
    const w = await world({ assignments: [toAll('wifi', pkcs('ios'))], connectors: 1 });
    const d = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    const [record] = w.ca.issuedRecords().filter((r) => r.template === 'CertfleetUser');
    expect(record).toBeDefined();
    expect(record!.requestId).toBeUndefined();
    expect(record!.certificate).toBeUndefined();
  });
});
