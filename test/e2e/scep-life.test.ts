/**
 * A SCEP certificate's life after enrolment, end to end over real MQTT and the run's SCEP server on loopback
 * (issue 14), on the shipped scenarios:
 *
 * - scenarios/scep-revoke.yaml (4 devices): the service learns each SCEP certificate from the SCEP
 *   connector's report (run.db: the connector's 20600 event and the service's `issued` event carry the
 *   serial, per device × profile); retiring two iPhones revokes their certificates, removing the VPN profile's
 *   assignment revokes every VPN certificate (cessationOfOperation) — the CA's revocation record and the
 *   run's crl.der, read and verified by OpenSSL, list exactly those; the kept devices' Wi-Fi certificates are
 *   not revoked.
 * - scenarios/scep-renewal.yaml (4 devices): each device re-enrols once, at the 20 % threshold of its
 *   10-day certificate (the profile's validity), with a new challenge; the keychain then holds a second
 *   certificate with a new serial and a new key in place of the first; both verify against the CA with
 *   OpenSSL, and the CRL lists the replaced one (superseded), so OpenSSL's CRL check refuses it alone.
 * - scenarios/scep-strong-mapping.yaml (6 devices): the SCEP user certificates — Macs, iPhones and
 *   hybrid-joined PCs (user My store) — carry the URI SAN `tag:microsoft.com,2022-09-14:sid:<the user's
 *   on-premises SID>` (OpenSSL shows it), a PC's device certificate (machine My store) the computer's SID,
 *   cloud-only users fail with CONNECTOR_SID_UNAVAILABLE, and an iPhone device certificate carries no SID.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { parseCertificate, type Certificate } from '../../pki/index.ts';
import { runFleet, type FleetRun } from '../../simulator/fleet/run-fleet.ts';
import type { RunEvent } from '../../simulator/run-model.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCEP = 'com.apple.security.scep';
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-life-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Upper-case hex without leading zeros (how OpenSSL and the CA may differ). */
const norm = (serial: string): string => serial.toUpperCase().replace(/^0+/, '');

/** The SCEP certificates the service took from the connector's reports: device/profile → serials, in order. */
function issuedSerials(events: readonly RunEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    if (e.type !== 'issued' || e.device === undefined || e.profile === undefined) continue;
    const m = /^certificate ([0-9A-F]+) by the SCEP connector/.exec(e.detail);
    if (m === null) continue;
    const key = `${e.device}/${e.profile}`;
    out.set(key, [...(out.get(key) ?? []), m[1]!]);
  }
  return out;
}

/** The serials crl.der lists, as OpenSSL reads them; and OpenSSL's verdict on its signature. */
function crlOf(run: FleetRun): { serials: Set<string>; verify: string } {
  const crl = join(run.dir, 'crl.der');
  const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crl, '-noout', '-text'], {
    encoding: 'utf8',
  });
  const serials = new Set([...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => norm(m[1]!)));
  const chain = join(run.dir, 'chain.pem');
  writeFileSync(
    chain,
    readFileSync(join(run.dir, 'ca', 'issuing.pem'), 'utf8') +
      readFileSync(join(run.dir, 'ca', 'root.pem'), 'utf8'),
  );
  const v = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', crl, '-CAfile', chain, '-noout'], {
    encoding: 'utf8',
  });
  return { serials, verify: `${v.status} ${v.stderr.trim()}` };
}

/** The CA's revocation record (its issued.jsonl): serial → reason. */
function caRevocations(run: FleetRun): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(join(run.dir, 'ca', 'issued.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as { type: string; serial: string; reason?: string };
    if (r.type === 'revoked') out.set(norm(r.serial), r.reason ?? '');
  }
  return out;
}

/**
 * `openssl verify` of `cert` against the run's CA at the virtual instant `at` (the run's clock is not the
 * wall clock), with the run's CRL when `crl`: what it prints, less the file name.
 */
function opensslVerify(run: FleetRun, cert: Certificate, at: string, crl = false): string {
  const pem = join(work, `${cert.serialNumber}.pem`);
  writeFileSync(pem, cert.pem);
  const ca = join(run.dir, 'ca');
  const attime = String(Math.floor(Date.parse(at) / 1000));
  const args = [
    'verify',
    '-attime',
    attime,
    '-CAfile',
    join(ca, 'root.pem'),
    '-untrusted',
    join(ca, 'issuing.pem'),
  ];
  if (crl) {
    const crlPem = join(work, `${cert.serialNumber}.crl.pem`);
    execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(run.dir, 'crl.der'), '-out', crlPem]);
    args.push('-crl_check', '-CRLfile', crlPem);
  }
  const r = spawnSync('openssl', [...args, pem], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim().replace(`${pem}: `, '');
}

/** The SCEP identities each device's keychain holds (public columns of agents.db). */
function scepIdentities(dir: string, devices: readonly string[]): Map<string, Certificate[]> {
  const db = StoreDb.open(join(dir, 'agents.db'), { publicOnly: true });
  try {
    return new Map(
      devices.map((d) => [
        d,
        db
          .items(d, { kind: 'identity' })
          .filter((i) => i.attrs['payloadType'] === SCEP)
          .map((i) => parseCertificate(i.certificate)),
      ]),
    );
  } finally {
    db.close();
  }
}

/** The SCEP identities each PC holds in its machine and user My stores (public columns of agents.db). */
function windowsScepIdentities(
  dir: string,
  devices: readonly string[],
): Map<string, { machine: Certificate[]; user: Certificate[] }> {
  const db = StoreDb.open(join(dir, 'agents.db'), { publicOnly: true });
  try {
    const of = (d: string, scope: string): Certificate[] =>
      db
        .items(d, { kind: 'identity', store: `windows/${scope}/My` })
        .filter((i) => i.ref.includes('/SCEP/'))
        .map((i) => parseCertificate(i.certificate));
    return new Map(devices.map((d) => [d, { machine: of(d, 'machine'), user: of(d, 'user') }]));
  } finally {
    db.close();
  }
}

/** The subjectAltName extension of `cert` as `openssl x509 -ext subjectAltName` prints it. */
function opensslSan(cert: Certificate): string {
  const pem = join(work, `san-${cert.serialNumber}.pem`);
  writeFileSync(pem, cert.pem);
  return execFileSync('openssl', ['x509', '-in', pem, '-noout', '-ext', 'subjectAltName'], {
    encoding: 'utf8',
  });
}

describe('a SCEP certificate after enrolment', { timeout: 300_000 }, () => {
  it('scep-revoke: retire and assignment removal revoke the SCEP certificates, in the CA record and crl.der', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'scep-revoke.yaml'),
      out: join(work, 'revoke'),
      broker: { type: 'embedded' },
      devices: 4,
    });
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const devices = r.devicesList.map((d) => d.id);
    const retired = r.events.filter((e) => e.type === 'retired').map((e) => e.device!);
    expect(retired).toHaveLength(2);
    const kept = devices.filter((d) => !retired.includes(d));
    expect(kept.length).toBeGreaterThan(0);

    // one SCEP certificate per device × profile, reported by the connector with its serial
    const issued = issuedSerials(r.events);
    const serial = (device: string, profile: string): string => {
      const s = issued.get(`${device}/${profile}`);
      expect(s, `${device}/${profile}`).toHaveLength(1);
      return norm(s![0]!);
    };
    const runDb = new Database(join(run.dir, 'run.db'), { readonly: true });
    try {
      const notified = runDb
        .prepare(
          "SELECT device_id, profile, detail FROM events WHERE type = 'scep-connector' AND detail LIKE '20600 %'",
        )
        .all() as { device_id: string; profile: string; detail: string }[];
      expect(notified).toHaveLength(devices.length * 2);
      for (const n of notified)
        expect(n.detail).toContain(`, serial ${issued.get(`${n.device_id}/${n.profile}`)![0]}`);
      // the service's own records in run.db: a revoked event per certificate it had the CA revoke
      const revokedEvents = (
        runDb.prepare("SELECT detail FROM events WHERE type = 'revoked'").all() as { detail: string }[]
      ).map((e) => e.detail);
      const expected = [
        ...retired.flatMap((d) => [serial(d, 'Wi-Fi SCEP'), serial(d, 'VPN SCEP')]),
        ...kept.map((d) => serial(d, 'VPN SCEP')),
      ];
      // (a retired device's management certificate is revoked too: not a SCEP one)
      const scepSerials = new Set([...issued.values()].flat().map(norm));
      expect(scepSerials.size).toBe(devices.length * 2);
      expect(
        revokedEvents
          .filter((d) => d.endsWith('(cessationOfOperation)'))
          .map((d) => norm(d.split(' ')[1]!))
          .filter((s) => scepSerials.has(s))
          .sort(),
      ).toEqual([...expected].sort());
      expect(revokedEvents.filter((d) => d.endsWith('(cessationOfOperation)'))).toHaveLength(
        expected.length + retired.length,
      );
      // the CA's revocation record, and the CRL as OpenSSL reads it (signed by the issuing CA)
      const record = caRevocations(run);
      const crl = crlOf(run);
      expect(crl.verify).toBe('0 verify OK');
      for (const s of expected) {
        expect(record.get(s), s).toBe('cessationOfOperation');
        expect(crl.serials, s).toContain(s);
      }
      for (const d of kept) {
        expect(record.has(serial(d, 'Wi-Fi SCEP'))).toBe(false);
        expect(crl.serials).not.toContain(serial(d, 'Wi-Fi SCEP'));
      }
    } finally {
      runDb.close();
    }

    // the removals reached the devices: retired ones hold no SCEP identity, kept ones the Wi-Fi one only,
    // which OpenSSL still verifies with the CRL checked
    const held = scepIdentities(run.dir, devices);
    for (const d of retired) expect(held.get(d)).toEqual([]);
    for (const d of kept) {
      expect(held.get(d)!.map((c) => norm(c.serialNumber))).toEqual([serial(d, 'Wi-Fi SCEP')]);
      expect(opensslVerify(run, held.get(d)![0]!, r.metrics.virtualEnd, true)).toBe('OK');
    }
  });

  it('scep-renewal: one re-enrolment per device at the threshold, a new serial and key replace the old in the keychain', async () => {
    const out = join(work, 'renewal');
    // the SCEP identity each device holds when it asks to renew (read from its keychain at that moment)
    const before = new Map<string, Certificate[]>();
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'scep-renewal.yaml'),
      out,
      broker: { type: 'embedded' },
      devices: 4,
      onEvent: (e) => {
        if (e.type === 'renewal-requested' && e.device !== undefined)
          before.set(e.device, scepIdentities(out, [e.device]).get(e.device)!);
      },
    });
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const rows = r.outcomes.filter((o) => o.profile === 'Wi-Fi SCEP');
    expect(rows).toHaveLength(4);
    expect(rows.map((o) => [o.status, o.renewals])).toEqual(rows.map(() => ['installed', 1]));
    expect(new Set(r.devicesList.map((d) => d.platform))).toEqual(new Set(['macos', 'ios']));

    const issued = issuedSerials(r.events);
    const after = scepIdentities(
      run.dir,
      rows.map((o) => o.device),
    );
    const revoked = caRevocations(run);
    for (const o of rows) {
      const [old] = before.get(o.device) ?? [];
      const [now, ...more] = after.get(o.device)!;
      expect(old, `${o.device} held a SCEP identity when it asked to renew`).toBeDefined();
      expect(more).toEqual([]);
      // the new certificate: a new serial and a new key, the one the connector reported last
      expect(norm(now!.serialNumber)).not.toBe(norm(old!.serialNumber));
      expect(now!.publicKey.equals(old!.publicKey)).toBe(false);
      expect(issued.get(`${o.device}/Wi-Fi SCEP`)!.map(norm)).toEqual([
        norm(old!.serialNumber),
        norm(now!.serialNumber),
      ]);
      // 10 days, the profile's validity, and the renewal came once less than 20 % of it was left
      const life = old!.notAfter.getTime() - old!.notBefore.getTime();
      expect(Math.round(life / 86_400_000)).toBe(10); // 10 days from issue (the CA back-dates 10 minutes)
      const asked = r.events.find((e) => e.type === 'renewal-requested' && e.device === o.device)!;
      const left = (old!.notAfter.getTime() - Date.parse(asked.at)) / life;
      expect(left).toBeLessThan(0.2);
      expect(left).toBeGreaterThan(0.1);
      // both verify against the CA (an hour after the renewal, on the run's clock); the CRL lists the
      // replaced one (superseded), not the new one
      const later = new Date(Date.parse(asked.at) + 3_600_000).toISOString();
      expect(opensslVerify(run, old!, later)).toBe('OK');
      expect(opensslVerify(run, now!, later)).toBe('OK');
      expect(revoked.get(norm(old!.serialNumber))).toBe('superseded');
      expect(revoked.has(norm(now!.serialNumber))).toBe(false);
      expect(opensslVerify(run, now!, later, true)).toBe('OK');
      expect(opensslVerify(run, old!, later, true)).toMatch(/certificate revoked/);
    }
  });

  it('scep-strong-mapping: user certificates carry the SID URI SAN (PCs too), PC device certificates the computer SID, cloud-only users fail CONNECTOR_SID_UNAVAILABLE', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'scep-strong-mapping.yaml'),
      out: join(work, 'strong-mapping'),
      broker: { type: 'embedded' },
      devices: 6,
    });
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    expect(r.outcomes.filter((o) => o.status === 'pending')).toEqual([]);
    // each device's user, as the run generated it (run.db devices.facts)
    const runDb = new Database(join(run.dir, 'run.db'), { readonly: true });
    const users = new Map(
      (runDb.prepare('SELECT id, facts FROM devices').all() as { id: string; facts: string }[]).map((d) => [
        d.id,
        (JSON.parse(d.facts) as { user?: { synced?: boolean; onPremises?: { sid?: string } } }).user,
      ]),
    );
    const deviceSids = new Map(
      (runDb.prepare('SELECT id, attributes FROM devices').all() as { id: string; attributes: string }[]).map(
        (d) => [d.id, (JSON.parse(d.attributes) as { deviceSid?: string }).deviceSid],
      ),
    );
    runDb.close();
    const user = r.outcomes.filter((o) => o.profile === 'User SCEP');
    expect(user).toHaveLength(6);
    const cloud = user.filter((o) => users.get(o.device)?.onPremises?.sid === undefined);
    const synced = user.filter((o) => users.get(o.device)?.onPremises?.sid !== undefined);
    expect(cloud.length).toBeGreaterThan(0);
    expect(synced.length).toBeGreaterThan(0);
    expect(cloud.map((o) => [o.status, o.code])).toEqual(
      cloud.map(() => ['failed', 'CONNECTOR_SID_UNAVAILABLE']),
    );
    expect(synced.map((o) => o.status)).toEqual(synced.map(() => 'installed'));
    // the hybrid-joined PCs' users are synchronised from AD; Apple users of both kinds
    expect(new Set(synced.map((o) => o.platform))).toContain('windows');
    expect(synced.some((o) => o.platform !== 'windows')).toBe(true);
    expect(cloud.every((o) => o.platform !== 'windows')).toBe(true);

    const held = scepIdentities(
      run.dir,
      r.devicesList.map((d) => d.id),
    );
    // a cloud-only user's device holds no user certificate (nothing was sent)
    for (const o of cloud)
      expect(held.get(o.device)!.filter((c) => c.subjectAltName?.some((s) => s.type === 'upn'))).toEqual([]);
    const pcs = windowsScepIdentities(
      run.dir,
      r.devicesList.filter((d) => d.platform === 'windows').map((d) => d.id),
    );
    expect(pcs.size).toBeGreaterThan(0);
    for (const o of synced) {
      const mine =
        o.platform === 'windows'
          ? pcs.get(o.device)!.user
          : held.get(o.device)!.filter((c) => c.subjectAltName?.some((s) => s.type === 'upn'));
      expect(mine, o.device).toHaveLength(1);
      const sid = users.get(o.device)!.onPremises!.sid!;
      expect(sid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
      expect(opensslSan(mine[0]!)).toContain(`URI:tag:microsoft.com,2022-09-14:sid:${sid}`);
    }
    // a hybrid-joined PC's device certificate (machine My store): the computer's SID, not the user's
    const pcDevice = r.outcomes.filter((o) => o.profile === 'PC device SCEP');
    expect(pcDevice).toHaveLength(pcs.size);
    for (const o of pcDevice) {
      expect(o.status).toBe('installed');
      const machine = pcs.get(o.device)!.machine;
      expect(machine).toHaveLength(1);
      const sid = deviceSids.get(o.device);
      expect(sid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
      expect(sid).not.toBe(users.get(o.device)?.onPremises?.sid);
      expect(opensslSan(machine[0]!)).toContain(`URI:tag:microsoft.com,2022-09-14:sid:${sid}`);
    }
    // an iPhone device certificate: issued, with no URI SAN (device SIDs are for Windows PCs only)
    const phones = r.outcomes.filter((o) => o.profile === 'iPhone device SCEP');
    expect(phones.length).toBeGreaterThan(0);
    for (const o of phones) {
      expect(o.status).toBe('installed');
      const device = held.get(o.device)!.filter((c) => !c.subjectAltName?.some((s) => s.type === 'upn'));
      expect(device).toHaveLength(1);
      expect(device[0]!.subjectAltName?.some((s) => s.type === 'uri') ?? false).toBe(false);
    }
  });
});
