/**
 * Android Enterprise SCEP in a run (issue 14 point 2, Android device side), end to end over real MQTT and
 * the run's SCEP server on loopback: a small fleet of personally-owned work profiles and fully managed
 * phones receives the ENROLL_SCEP policy (docs/formats.md §3.5), each device makes its key in its own store,
 * enrols with its one-time challenge and installs the key pair under the profile's alias — in the work
 * profile or device-wide. Each certificate verifies with OpenSSL against the run's CA; no SCEP private key is
 * anywhere in the run folder's files (run.db with every payload and device report, the reports) or in the
 * result. Devices that act two hours late fail with the documented code (SCEP_REQUEST_FAILED, the connector's
 * 20501 CRPSCEPChallenge_Expired in run.db). At the renewal threshold each phone re-enrols with a new
 * challenge and a new key, and holds only the new key pair under the alias.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { parseCertificate, type Certificate } from '../../pki/index.ts';
import { watchSecrets } from '../../pki/secret-witness.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-android-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * An Android Enterprise SCEP scenario of `devices` phones; `late` devices act 2 h after each payload;
 * `renew` runs 5 days with a 99 % threshold (the 1-year certificate is due after 1 % of its life, 3.65 days).
 */
function scenario(name: string, devices: number, late: boolean, renew = false): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `seed: ${name}-14`,
      `duration: ${renew ? '5d' : '1d'}`,
      'fleet:',
      `  devices: ${devices}`,
      '  mix:',
      '    - { platform: android, kind: work-profile-personal }',
      '    - { platform: android, kind: fully-managed }',
      ...(late ? ['  failures:', '    slowDevice: { probability: 1, delay: 2h }'] : []),
      'profiles:',
      '  - { name: Certfleet Root, type: trusted-certificate, platforms: all, certificate: root }',
      '  - name: Wi-Fi SCEP',
      '    type: scep',
      '    platforms: [android-work-profile, android-device-owner]',
      "    subject: 'CN={{UserName}},O=Contoso'",
      "    san: [{ type: upn, value: '{{UserPrincipalName}}' }]",
      '    keySize: 2048',
      ...(renew ? ['    renewalThreshold: 99'] : []),
      'expect:',
      '  - text: The root installs',
      '    profile: Certfleet Root',
      '    status: installed',
      '',
    ].join('\n'),
  );
  return file;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('Android Enterprise SCEP in a run', { timeout: 300_000 }, () => {
  it('work profiles and fully managed phones enrol; OpenSSL verifies each certificate; keys stay on the devices', async () => {
    const made: KeyObject[] = [];
    const stop = watchSecrets((kind, v) => {
      if (kind === 'private-key' && typeof v === 'object' && !Buffer.isBuffer(v)) made.push(v);
    });
    const run = await runFleet({
      scenario: scenario('scep-android', 4, false),
      out: join(work, 'ok'),
      broker: { type: 'embedded' },
    }).finally(stop);
    expect(run.result.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const rows = run.result.outcomes.filter((o) => o.profile === 'Wi-Fi SCEP');
    expect(rows).toHaveLength(4);
    expect(rows.map((o) => [o.platform, o.status, o.code])).toEqual(
      rows.map(() => ['android', 'installed', 'OK']),
    );
    // both Android Enterprise kinds took part
    expect(new Set(rows.map((o) => o.kind))).toEqual(new Set(['work-profile-personal', 'fully-managed']));

    const certs: Certificate[] = [];
    const db = StoreDb.open(join(run.dir, 'agents.db'), { publicOnly: true });
    try {
      for (const o of rows) {
        const ids = db
          .items(o.device, { kind: 'identity' })
          .filter((i) => i.attrs['command'] === 'ENROLL_SCEP');
        expect(ids).toHaveLength(1);
        const id = ids[0]!;
        // work profile vs device-wide KeyChain, the key made on the device and not exportable
        expect([id.store, id.attrs['keyOrigin'], id.attrs['exportable'], id.attrs['trusted']]).toEqual([
          o.kind === 'fully-managed' ? 'android/keychain' : 'android/work-profile',
          'device',
          false,
          true,
        ]);
        const cert = parseCertificate(id.certificate);
        expect(cert.subjectText).toMatch(/^CN=.+,O=Contoso$/);
        expect(cert.subjectAltName.some((s) => s.type === 'upn')).toBe(true);
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
    } finally {
      db.close();
    }
    // the SCEP private keys the run made, found by their public halves
    const keys = made.filter((k) => certs.some((c) => c.publicKey.equals(createPublicKey(k))));
    expect(keys).toHaveLength(certs.length);
    const needles = keys.flatMap((k) => {
      const der = k.export({ type: 'pkcs8', format: 'der' });
      return [
        der,
        k.export({ type: 'pkcs1', format: 'der' }),
        Buffer.from(der.toString('base64').slice(0, 200)),
      ];
    });
    for (const f of filesUnder(run.dir)) {
      const bytes = readFileSync(f);
      for (const n of needles) expect(bytes.includes(n), f).toBe(false);
    }
    const report = JSON.stringify(run.result);
    for (const k of keys)
      expect(report).not.toContain(
        k.export({ type: 'pkcs8', format: 'der' }).toString('base64').slice(0, 64),
      );
  });

  it('an expired challenge fails SCEP_REQUEST_FAILED on Android; the connector logged 20501', async () => {
    const run = await runFleet({
      scenario: scenario('scep-android-late', 2, true),
      out: join(work, 'late'),
      broker: { type: 'embedded' },
    });
    const rows = run.result.outcomes.filter((o) => o.profile === 'Wi-Fi SCEP');
    expect(rows).toHaveLength(2);
    expect(rows.map((o) => [o.platform, o.status, o.code])).toEqual(
      rows.map(() => ['android', 'failed', 'SCEP_REQUEST_FAILED']),
    );
    for (const o of rows) {
      expect(o.message).toMatch(/badRequest/);
      // the Android status language: a non-compliance detail against the certificate command
      expect(o.native).toMatchObject({
        platform: 'android',
        nonCompliance: { settingName: 'certificateCommands', nonComplianceReason: 'INVALID_VALUE' },
      });
    }
    const runDb = new Database(join(run.dir, 'run.db'), { readonly: true });
    try {
      const events = runDb
        .prepare("SELECT device_id, detail FROM events WHERE type = 'scep-connector'")
        .all() as { device_id: string; detail: string }[];
      // each late device's request was refused as expired (every send of the profile, retries included)
      expect(new Set(events.map((e) => e.device_id))).toEqual(new Set(rows.map((o) => o.device)));
      for (const e of events)
        expect(e.detail).toMatch(
          /^20501 CRPVerifyMetric_Warning, diagnostic 0x00000411 CRPSCEPChallenge_Expired \(SCEP_CHALLENGE_EXPIRED\)/,
        );
      const sent = runDb
        .prepare(
          "SELECT device_id, COUNT(*) AS n FROM events WHERE type = 'scep-challenge-issued' GROUP BY device_id",
        )
        .all() as { device_id: string; n: number }[];
      // one challenge per device × profile: the re-sends of an unanswered payload carry the same one
      expect(sent.map((r) => r.n)).toEqual([1, 1]);
    } finally {
      runDb.close();
    }
  });

  it('at the renewal threshold each phone re-enrols: a new challenge, a new key pair under the same alias', async () => {
    const run = await runFleet({
      scenario: scenario('scep-android-renew', 2, false, true),
      out: join(work, 'renew'),
      broker: { type: 'embedded' },
    });
    const rows = run.result.outcomes.filter((o) => o.profile === 'Wi-Fi SCEP');
    expect(rows.map((o) => [o.status, o.renewals])).toEqual([
      ['installed', 1],
      ['installed', 1],
    ]);
    const runDb = new Database(join(run.dir, 'run.db'), { readonly: true });
    const db = StoreDb.open(join(run.dir, 'agents.db'), { publicOnly: true });
    try {
      for (const o of rows) {
        const issued = runDb
          .prepare(
            "SELECT at FROM events WHERE type = 'scep-challenge-issued' AND device_id = ? ORDER BY seq",
          )
          .all(o.device) as { at: string }[];
        expect(issued).toHaveLength(2); // the first enrolment and the renewal
        const renewedAt = Date.parse(issued[1]!.at);
        const ids = db
          .items(o.device, { kind: 'identity' })
          .filter((i) => i.attrs['command'] === 'ENROLL_SCEP');
        expect(ids).toHaveLength(1); // the renewed key pair replaced the first
        expect(ids[0]!.attrs['alias']).toBe('certfleet-wi-fi-scep');
        expect(Date.parse(ids[0]!.notBefore)).toBeGreaterThanOrEqual(renewedAt - 3_600_000);
      }
    } finally {
      db.close();
      runDb.close();
    }
  });
});
