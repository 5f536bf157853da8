/**
 * Issue 10 point 3 — a request the CA holds for a certificate manager across a kill of `serve`: the held
 * request (its state, since, CA) and its server-side key are written to service-state.db, sealed, as they
 * change (simulator/fleet/held-requests.ts); a resumed run's CA directory reads them back, so when a
 * manager issues after the kill the device gets the certificate with the key of the held request, issued
 * once. The "kill" drops the connector and the CA directory and opens the same file again; the service's
 * stores stay (their save/restore is covered by issue10-service-resume.test.ts). A real CA folder, a real
 * SQLite service-state.db, the loopback bus, the virtual clock.
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
import { connectorKeyJournal } from '../../../simulator/fleet/connector-keys.ts';
import { heldRequestJournal } from '../../../simulator/fleet/held-requests.ts';
import { SERVICE_STATE_FILE, ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import { CaDirectory, splitConfigString, type CaEntry } from '../../../simulator/service/ca/ca-directory.ts';
import type { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CertificateConnector } from '../../../simulator/service/connector/certificate-connector.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { outcomeOf, pkcs, TENANT, toAll, world } from './harness.ts';

const base = mkdtempSync(join(tmpdir(), 'certfleet-i10-held-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let folders = 0;

function holding(ca: EnterpriseCa): CaEntry[] {
  const { host, name } = splitConfigString(ca.configString);
  return [{ host, name: name ?? host, ca, policy: 'hold' }];
}

describe('issue 10 point 3: a request held for a certificate manager survives a kill of serve', () => {
  it('held, state dropped and restored, manager issues: the device gets the certificate with the held key, issued once', async () => {
    folders += 1;
    const dir = mkdtempSync(join(base, `run-${folders}-`));
    const open = () => ServiceCheckpoint.open(dir, { digest: 'held-test', secret: 'held-test-secret' });
    let cp = open();
    const w = await world({ assignments: [toAll('wifi', pkcs('ios'))], connectors: 0 });
    const heldKey = poolKey('rsa2048', 2);
    const first = new CertificateConnector({
      id: 'connector-1',
      tenant: TENANT,
      transport: w.bus.transport('connector-1'),
      ca: new CaDirectory(holding(w.ca), { journal: heldRequestJournal(() => cp) }),
      clock: w.clock,
      keys: new FixedKeySource([heldKey]),
      keyJournal: connectorKeyJournal(() => cp),
      maxIdlePollIntervalMs: 30_000,
    });
    await first.start();
    w.connectors.push(first);
    const d = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('pending');
    const issuedCount = () => w.ca.issuedRecords().filter((r) => r.template === 'CertfleetUser').length;
    expect(issuedCount()).toBe(0);
    // the held key is on disk, sealed: its PKCS#8 bytes are nowhere in the files
    const pkcs8 = heldKey.privateKey.export({ type: 'pkcs8', format: 'der' });
    for (const f of [SERVICE_STATE_FILE, `${SERVICE_STATE_FILE}-wal`])
      expect(readFileSync(join(dir, f)).includes(pkcs8.subarray(-64))).toBe(false);
    await first.stop(); // the kill: the connector and its CA directory are gone
    w.connectors.splice(w.connectors.indexOf(first), 1);
    cp.close();

    // without the saved held requests, a manager has nothing to issue (the defect)
    expect(new CaDirectory(holding(w.ca)).decidePending('issue')).toBe(0);

    cp = open();
    const directory = new CaDirectory(holding(w.ca), { journal: heldRequestJournal(() => cp) });
    expect(directory.restoreHeld()).toBe(1);
    // a fresh connector with another key: a new key would show the held one was lost
    const fresh = new CertificateConnector({
      id: 'connector-2',
      tenant: TENANT,
      transport: w.bus.transport('connector-2'),
      ca: directory,
      clock: w.clock,
      keys: new FixedKeySource([poolKey('rsa2048', 5)]),
      keyJournal: connectorKeyJournal(() => cp),
      maxIdlePollIntervalMs: 30_000,
    });
    await fresh.start();
    w.connectors.push(fresh);
    expect(directory.decidePending('issue')).toBe(1); // the certificate manager, after the resume
    await w.run(2 * 3_600_000); // the service hands the request back an hour after it went pending
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    expect(issuedCount()).toBe(1);
    const [record] = w.ca.issuedRecords().filter((r) => r.template === 'CertfleetUser');
    // the held entry went with its issue (and its key with it)
    expect(heldRequestJournal(() => cp).saved()).toEqual([]);

    const payload = d
      .payloads()
      .find((p) => parseDeviceTopic(TENANT, p.topic)?.kind === 'payload' && p.topic.includes('/wifi/'))!;
    const m = decodeMobileconfig(payload.payload, { platform: 'ios' });
    if (!m.ok) throw new Error('mobileconfig does not decode');
    const bag = m.profile.PayloadContent.find(
      (c) => c.PayloadType === 'com.apple.security.pkcs12',
    ) as unknown as { PayloadContent: Uint8Array; Password: string };
    const opened = parsePkcs12(Buffer.from(bag.PayloadContent), bag.Password);
    const leaf = parseCertificate(opened.certificates[0]!);
    expect(leaf.serialNumber).toBe(record!.serial);
    // the same public key as the held request's, and its private key
    const spki = (k: typeof heldKey.publicKey) => k.export({ type: 'spki', format: 'der' });
    expect(spki(leaf.publicKey).equals(spki(heldKey.publicKey))).toBe(true);
    expect(opened.privateKey.export({ type: 'pkcs8', format: 'der' }).equals(pkcs8)).toBe(true);
    await fresh.stop();
    cp.close();
  });

  it('a saved request held by a CA this run does not have is refused with a code', async () => {
    folders += 1;
    const dir = mkdtempSync(join(base, `run-${folders}-`));
    const cp = ServiceCheckpoint.open(dir, { digest: 'held-test', secret: 'held-test-secret' });
    const w = await world({ assignments: [toAll('wifi', pkcs('ios'))], connectors: 0 });
    heldRequestJournal(() => cp).keep(
      'dev/wifi',
      { state: 'pending', since: 0, ca: 'elsewhere.test\\Other CA' },
      poolKey('rsa2048', 3).privateKey,
    );
    const directory = new CaDirectory(holding(w.ca), { journal: heldRequestJournal(() => cp) });
    expect(() => directory.restoreHeld()).toThrow(
      expect.objectContaining({ code: 'RUN_STATE_MISMATCH' }) as Error,
    );
    cp.close();
  });
});
