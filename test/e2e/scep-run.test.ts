/**
 * The shipped SCEP scenarios (issue 14 point 2) run end to end over real MQTT and the run's SCEP server on
 * loopback: scenarios/scep-mixed.yaml on 6 devices (one of each kind) (Macs, iPhones and Android Enterprise phones enrol with
 * one-time challenges and install identities verified by OpenSSL against the CA; PCs enrol a device and a user
 * certificate through ClientCertificateInstall/SCEP in the background, the service reads their Status, and the
 * certificates in the machine and user My stores verify with OpenSSL too), and
 * scenarios/scep-challenge-expired.yaml on 5 devices (devices acting two hours late fail SCEP_REQUEST_FAILED —
 * a PC with Status 16 and ErrorCode 0x80094011, Android Enterprise phones too — the root installs), and a Windows renewal run written here
 * (2 PCs, 10-day certificates, 12 days: each renews once with a RenewalReq, the profile's validity reaching the
 * certificate). No SCEP private key is found outside the devices' key stores: not in run.db, not in agents.db's
 * non-key columns, not in any MQTT message (the run's deliveries and device reports), not in the reports.
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

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-run-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('SCEP scenarios in a run', { timeout: 300_000 }, () => {
  it('scep-mixed: Apple and Android devices and PCs enrol over SCEP, identities valid against the CA, keys only on the devices', async () => {
    const made: KeyObject[] = [];
    const stop = watchSecrets((kind, v) => {
      if (kind === 'private-key' && typeof v === 'object' && !Buffer.isBuffer(v)) made.push(v);
    });
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'scep-mixed.yaml'),
      out: join(work, 'mixed'),
      broker: { type: 'embedded' },
      devices: 6,
    }).finally(stop);
    expect(run.result.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    // nothing left pending: each device's enrolment finished before its host reported idle
    expect(run.result.outcomes.filter((o) => o.status === 'pending')).toEqual([]);
    const rows = run.result.outcomes.filter((o) => o.profile === 'Wi-Fi SCEP');
    const scep = rows.filter((o) => o.status === 'installed');
    expect(scep.length).toBeGreaterThan(0);
    expect(scep).toHaveLength(rows.length);
    // the PCs: a device and a user certificate each, the result read from the node's Status (1)
    const pcRows = run.result.outcomes.filter((o) => o.profile.startsWith('PC SCEP'));
    expect(pcRows.length).toBeGreaterThanOrEqual(2);
    for (const o of pcRows) {
      expect(o.status, o.message).toBe('installed');
      expect(o.message).toContain('(Status 1, ErrorCode 0x00000000');
    }

    // the SCEP identities, as the devices hold them (public columns), verified by OpenSSL
    const certs: Certificate[] = [];
    const db = StoreDb.open(join(run.dir, 'agents.db'), { publicOnly: true });
    try {
      for (const o of scep) {
        const ids = db
          .items(o.device, { kind: 'identity' })
          .filter(
            (i) =>
              i.attrs['payloadType'] === 'com.apple.security.scep' || i.attrs['command'] === 'ENROLL_SCEP',
          );
        expect(ids).toHaveLength(1);
        const cert = parseCertificate(ids[0]!.certificate);
        certs.push(cert);
        const pem = join(work, `${o.device}.pem`);
        writeFileSync(pem, cert.pem);
        const ca = join(run.dir, 'ca');
        const r = spawnSync(
          'openssl',
          ['verify', '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'issuing.pem'), pem],
          { encoding: 'utf8' },
        );
        expect(r.stdout.trim(), r.stderr).toBe(`${pem}: OK`);
      }
      for (const o of pcRows) {
        const scope = o.profile === 'PC SCEP device' ? 'machine' : 'user';
        const ids = db
          .items(o.device, { kind: 'identity', store: `windows/${scope}/My` })
          .filter((i) => i.ref.includes('/Vendor/MSFT/ClientCertificateInstall/SCEP/'));
        expect(ids).toHaveLength(1);
        expect(ids[0]!.ref.startsWith(scope === 'machine' ? './Device/' : './User/')).toBe(true);
        expect(ids[0]!.attrs['exportable']).toBe(false);
        const cert = parseCertificate(ids[0]!.certificate);
        certs.push(cert);
        const pem = join(work, `${o.device}-${scope}.pem`);
        writeFileSync(pem, cert.pem);
        const ca = join(run.dir, 'ca');
        const r = spawnSync(
          'openssl',
          ['verify', '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'issuing.pem'), pem],
          { encoding: 'utf8' },
        );
        expect(r.stdout.trim(), r.stderr).toBe(`${pem}: OK`);
      }
    } finally {
      db.close();
    }
    // the SCEP private keys: those the run made whose public half is a SCEP certificate's
    const keys = made.filter((k) => certs.some((c) => c.publicKey.equals(createPublicKey(k))));
    expect(keys).toHaveLength(certs.length);
    const needles = keys.flatMap((k) => {
      const der = k.export({ type: 'pkcs8', format: 'der' });
      const pkcs1 = k.export({ type: 'pkcs1', format: 'der' });
      return [
        der,
        pkcs1,
        Buffer.from(der.toString('base64').slice(0, 200)),
        Buffer.from(der.toString('hex')),
      ];
    });
    // nowhere in the run folder's files (run.db with every payload and device report, the reports), nor in
    // agents.db's bytes: its key column is sealed with the key-store key, so the plain key is not there either
    for (const f of filesUnder(run.dir)) {
      const bytes = readFileSync(f);
      for (const n of needles) expect(bytes.includes(n), f).toBe(false);
    }
    // nor in any MQTT message: the deliveries and device reports run.db recorded, read as rows
    const runDb = new Database(join(run.dir, 'run.db'), { readonly: true });
    try {
      const tables = runDb.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[];
      expect(tables.map((t) => t.name)).toContain('deliveries');
      for (const t of tables)
        for (const row of runDb.prepare(`SELECT * FROM "${t.name}"`).all() as Record<string, unknown>[])
          for (const [col, v] of Object.entries(row)) {
            const b = Buffer.isBuffer(v) ? v : Buffer.from(String(v));
            for (const n of needles) expect(b.includes(n), `${t.name}.${col}`).toBe(false);
          }
    } finally {
      runDb.close();
    }
    const report = JSON.stringify(run.result);
    for (const k of keys)
      expect(report).not.toContain(
        k.export({ type: 'pkcs8', format: 'der' }).toString('base64').slice(0, 64),
      );
  });

  it('scep-challenge-expired: late devices fail SCEP_REQUEST_FAILED, the root installs', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'scep-challenge-expired.yaml'),
      out: join(work, 'expired'),
      broker: { type: 'embedded' },
      devices: 5,
    });
    expect(run.result.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const rows = run.result.outcomes.filter((o) => o.profile === 'Wi-Fi SCEP');
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((o) => o.code))).toEqual(new Set(['SCEP_REQUEST_FAILED']));
    // Android Enterprise phones (work profile and fully managed) acted late too
    const phones = rows.filter((o) => o.platform === 'android');
    expect(phones.length).toBeGreaterThan(0);
    expect(phones.map((o) => o.status)).toEqual(phones.map(() => 'failed'));
    // a PC reports it through its SCEP node: Status 16, ErrorCode CERTSRV_E_ENROLL_DENIED (inferred)
    const pcs = rows.filter((o) => o.platform === 'windows');
    expect(pcs.length).toBeGreaterThan(0);
    for (const o of pcs) {
      expect(o.message).toContain('(Status 16, ErrorCode 0x80094011 CERTSRV_E_ENROLL_DENIED)');
      expect(o.native).toMatchObject({ platform: 'windows', syncml: 200, cspStatus: '0x80094011' });
    }
    // the connector's side of it, in the run database: event 20501 with CRPSCEPChallenge_Expired
    const runDb = new Database(join(run.dir, 'run.db'), { readonly: true });
    try {
      const details = (
        runDb.prepare("SELECT detail FROM events WHERE type = 'scep-connector'").all() as { detail: string }[]
      ).map((r) => r.detail);
      expect(details.length).toBeGreaterThan(0);
      expect(
        details.every((d) =>
          /^20501 CRPVerifyMetric_Warning, diagnostic 0x00000411 CRPSCEPChallenge_Expired \(SCEP_CHALLENGE_EXPIRED\)/.test(
            d,
          ),
        ),
      ).toBe(true);
    } finally {
      runDb.close();
    }
  });
  it('Windows PCs renew their SCEP certificate at the threshold with a RenewalReq signed with the old key', async () => {
    const scenario = join(work, 'win-scep-renew.yaml');
    writeFileSync(
      scenario,
      [
        'name: win-scep-renew',
        'seed: win-scep-renew',
        'duration: 12d',
        'fleet:',
        '  devices: 2',
        '  mix:',
        '    - { platform: windows, kind: entra-joined }',
        'profiles:',
        '  - { name: Root, type: trusted-certificate, platforms: [windows], certificate: root }',
        "  - { name: PC SCEP, type: scep, platforms: [windows], subject: 'CN={{UserName}},O=Contoso', validity: 10d, renewalThreshold: 20 }",
        '',
      ].join('\n'),
    );
    const run = await runFleet({ scenario, out: join(work, 'renew'), broker: { type: 'embedded' } });
    const rows = run.result.outcomes.filter((o) => o.profile === 'PC SCEP');
    expect(rows).toHaveLength(2);
    for (const o of rows) expect([o.status, o.renewals]).toEqual(['installed', 1]);
    const runDb = new Database(join(run.dir, 'run.db'), { readonly: true });
    try {
      // the ValidPeriod (10 days) reached the certificate: renewed after 8 days, the new one ends 10 days on
      const ids = runDb
        .prepare(
          "SELECT not_before, not_after FROM store_items WHERE kind = 'identity' AND ref LIKE '%/SCEP/%'",
        )
        .all() as { not_before: string; not_after: string }[];
      expect(ids).toHaveLength(2);
      for (const r of ids)
        expect(Date.parse(r.not_after) - Date.parse(r.not_before)).toBe(10 * 86_400_000 + 10 * 60_000);
      // only the first enrolments verified a challenge (20500): the renewals were RenewalReqs, which need none
      const verified = runDb
        .prepare("SELECT at FROM events WHERE type = 'scep-connector' AND detail LIKE '20500 %'")
        .all() as { at: string }[];
      const start = run.result.metrics.virtualStart;
      expect(verified.map((r) => r.at)).toEqual([start, start]);
      const renewed = runDb
        .prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'renewed' AND profile = 'PC SCEP'")
        .get() as {
        n: number;
      };
      expect(renewed.n).toBe(2);
    } finally {
      runDb.close();
    }
  });
});
