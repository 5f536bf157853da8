/**
 * Issue 14 "Done means" as one run: scenarios/certificate-estate.yaml on 5 devices (its seed draws one of each
 * kind of its mix in the first five: a PC, a Mac, an iPhone, a work-profile and a fully managed phone). Each device holds the CA root, a SCEP certificate it enrolled for, and its
 * user's imported S/MIME certificate; every installed certificate verifies with `openssl verify` against the
 * run's CA; the imported one is the certificate the import stored for the device's user (same serial on every
 * device of a user); and no SCEP private key the run made appears in any file of the run folder.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { parseCertificate, type Certificate } from '../../pki/index.ts';
import { watchSecrets } from '../../pki/secret-witness.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { PfxStore } from '../../simulator/service/pfx-import/pfx-store.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-estate-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Whether an identity the device holds came from its SCEP profile (each platform's own record of it). */
function isScep(i: { ref: string; attrs: Record<string, unknown> }): boolean {
  return (
    i.attrs['payloadType'] === 'com.apple.security.scep' ||
    i.attrs['command'] === 'ENROLL_SCEP' ||
    i.ref.includes('/ClientCertificateInstall/SCEP/')
  );
}

describe('scenarios/certificate-estate.yaml', { timeout: 300_000 }, () => {
  it('every platform holds the root, a SCEP and its user\u2019s imported S/MIME certificate, all valid against the CA; no SCEP key leaves a device', async () => {
    const made: KeyObject[] = [];
    const stop = watchSecrets((kind, v) => {
      if (kind === 'private-key' && typeof v === 'object' && !Buffer.isBuffer(v)) made.push(v);
    });
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'certificate-estate.yaml'),
      out: join(work, 'run'),
      broker: { type: 'embedded' },
      devices: 5,
    }).finally(stop);
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    expect(r.outcomes.filter((o) => o.status !== 'installed').map((o) => `${o.device} ${o.profile}`)).toEqual(
      [],
    );
    const devices = r.devicesList;
    expect(devices).toHaveLength(5);
    expect(new Set(devices.map((d) => `${d.platform}/${d.kind}`)).size).toBe(5);
    expect(new Set(devices.map((d) => d.platform))).toEqual(new Set(['windows', 'macos', 'ios', 'android']));

    const ca = join(run.dir, 'ca');
    const rootDer = readFileSync(join(ca, 'root.pem'), 'utf8');
    const rootThumb = parseCertificate(rootDer).sha1Thumbprint;
    const verify = (name: string, cert: Certificate): string => {
      const pem = join(work, `${name}.pem`);
      writeFileSync(pem, cert.pem);
      const v = spawnSync(
        'openssl',
        ['verify', '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'issuing.pem'), pem],
        { encoding: 'utf8' },
      );
      return `${v.stdout}${v.stderr}`.trim().replace(`${pem}: `, '');
    };

    const runDb = new Database(join(run.dir, 'run.db'), { readonly: true });
    const upnOf = new Map(
      (runDb.prepare('SELECT id, facts FROM devices').all() as { id: string; facts: string }[]).map((d) => [
        d.id,
        (JSON.parse(d.facts) as { user?: { userPrincipalName?: string } }).user?.userPrincipalName,
      ]),
    );
    runDb.close();
    const pfx = PfxStore.open(ca);
    const db = StoreDb.open(join(run.dir, 'agents.db'), { publicOnly: true });
    const scepCerts: Certificate[] = [];
    const importedSerials = new Map<string, Set<string>>();
    try {
      for (const d of devices) {
        const items = db.items(d.id);
        // the root, as the trusted-certificate profile installed it
        expect(
          items.some((i) => i.kind !== 'identity' && i.thumbprint === rootThumb),
          `${d.id} root`,
        ).toBe(true);
        const identities = items.filter((i) => i.kind === 'identity' && !i.store.startsWith('mdm/'));
        // the SCEP certificate: one, issued by the CA for the key the device made
        const scep = identities.filter(isScep).map((i) => parseCertificate(i.certificate));
        expect(scep, `${d.id} (${d.platform}) SCEP`).toHaveLength(1);
        expect(verify(`${d.id}-scep`, scep[0]!)).toBe('OK');
        scepCerts.push(scep[0]!);
        // the imported S/MIME certificate: the one the import stored for this device's user
        const upn = upnOf.get(d.id);
        expect(upn, d.id).toBeDefined();
        const stored = pfx.list(upn!);
        expect(stored.length, upn).toBeGreaterThan(0);
        const imported = identities.filter((i) => !isScep(i)).map((i) => parseCertificate(i.certificate));
        expect(imported, `${d.id} (${d.platform}) imported`).toHaveLength(1);
        expect(stored.map((s) => s.thumbprint)).toContain(imported[0]!.sha1Thumbprint);
        expect(verify(`${d.id}-smime`, imported[0]!)).toBe('OK');
        const serials = importedSerials.get(upn!) ?? new Set<string>();
        serials.add(imported[0]!.serialNumber);
        importedSerials.set(upn!, serials);
      }
    } finally {
      db.close();
      pfx.close();
    }
    // one imported certificate per user, whichever of the user's devices holds it
    for (const [upn, serials] of importedSerials) expect(serials.size, upn).toBe(1);
    // the SCEP certificates are not the imported ones, and the devices' SCEP keys are their own
    expect(new Set(scepCerts.map((c) => c.serialNumber)).size).toBe(devices.length);

    // no SCEP private key in the run folder: the keys the run made whose public half is a SCEP certificate's
    const keys = made.filter((k) => scepCerts.some((c) => c.publicKey.equals(createPublicKey(k))));
    expect(keys).toHaveLength(scepCerts.length);
    const needles = keys.flatMap((k) => {
      const der = k.export({ type: 'pkcs8', format: 'der' });
      return [
        der,
        k.export({ type: 'pkcs1', format: 'der' }),
        Buffer.from(der.toString('base64').slice(0, 200)),
        Buffer.from(der.toString('hex')),
      ];
    });
    const files = filesUnder(run.dir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const n of needles) expect(bytes.includes(n), f).toBe(false);
    }
  });
});
