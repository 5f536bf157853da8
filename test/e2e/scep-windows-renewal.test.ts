/**
 * Issue 14: a Windows PC renews its SCEP certificate with an RFC 8894 RenewalReq, which carries no challenge,
 * so the connector could not say which device × profile the new certificate was for: the replaced one was
 * not revoked (superseded) and the new one was not revoked on retire. The responder now links a RenewalReq
 * to the report of the certificate that signed it (simulator/service/scep/issued-certificates.ts bySerial).
 * A run here: 2 PCs, 10-day certificates, renewed at the threshold (about day 8); one PC retired on day 11.
 * The CA's record (ca/issued.jsonl) and crl.der, read by OpenSSL, list each old serial as superseded and the
 * retired PC's new serial as cessationOfOperation; the kept PC's new certificate is not revoked.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet, type FleetRun } from '../../simulator/fleet/run-fleet.ts';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-win-renew-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const norm = (serial: string): string => serial.toUpperCase().replace(/^0+/, '');

/** The CA's revocation record (ca/issued.jsonl): serial → reason. */
function caRevocations(run: FleetRun): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(join(run.dir, 'ca', 'issued.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as { type: string; serial: string; reason?: string };
    if (r.type === 'revoked') out.set(norm(r.serial), r.reason ?? '');
  }
  return out;
}

/** The serials crl.der lists, as OpenSSL reads them, with the reason OpenSSL prints for each. */
function crlReasons(run: FleetRun): Map<string, string> {
  const text = execFileSync(
    'openssl',
    ['crl', '-inform', 'DER', '-in', join(run.dir, 'crl.der'), '-noout', '-text'],
    { encoding: 'utf8' },
  );
  const out = new Map<string, string>();
  for (const m of text.matchAll(/Serial Number: ([0-9A-F]+)[\s\S]*?CRL Reason Code:\s*\n\s*(\S[^\n]*)/g))
    out.set(norm(m[1]!), m[2]!.trim());
  return out;
}

describe('Windows SCEP renewal and revocation', { timeout: 300_000 }, () => {
  it('a RenewalReq supersedes the old certificate; retiring the PC revokes the renewed one', async () => {
    const scenario = join(work, 'win-scep-renew-retire.yaml');
    writeFileSync(
      scenario,
      [
        'name: win-scep-renew-retire',
        'seed: win-scep-renew-retire',
        'duration: 12d',
        'fleet:',
        '  devices: 2',
        '  mix:',
        '    - { platform: windows, kind: entra-joined }',
        'profiles:',
        '  - { name: Root, type: trusted-certificate, platforms: [windows], certificate: root }',
        "  - { name: PC SCEP, type: scep, platforms: [windows], subject: 'CN={{UserName}},O=Contoso', validity: 10d, renewalThreshold: 20 }",
        'actions:',
        '  - { at: 11d, retire: { platform: windows, count: 1 } }',
        '',
      ].join('\n'),
    );
    const run = await runFleet({ scenario, out: join(work, 'run'), broker: { type: 'embedded' } });
    const r = run.result;
    const retired = r.events.filter((e) => e.type === 'retired').map((e) => e.device!);
    expect(retired).toHaveLength(1);
    const pcs = r.devicesList.map((d) => d.id);
    expect(pcs).toHaveLength(2);
    // the connector reported both certificates of each PC with its device × profile: the first enrolment's
    // (challenge) and the renewal's (RenewalReq, linked by the signer's serial)
    const serials = new Map<string, string[]>();
    for (const e of r.events) {
      const m = /^certificate ([0-9A-F]+) by the SCEP connector/.exec(e.detail);
      if (e.type !== 'issued' || m === null || e.profile !== 'PC SCEP') continue;
      serials.set(e.device!, [...(serials.get(e.device!) ?? []), norm(m[1]!)]);
    }
    const record = caRevocations(run);
    const crl = crlReasons(run);
    for (const pc of pcs) {
      const [old, renewed, ...more] = serials.get(pc) ?? [];
      expect(old, `${pc}: first certificate reported`).toBeDefined();
      expect(renewed, `${pc}: renewed certificate reported`).toBeDefined();
      expect(more).toEqual([]);
      expect(renewed).not.toBe(old);
      expect(record.get(old!), `${pc} old`).toBe('superseded');
      expect(crl.get(old!), `${pc} old in crl.der`).toBe('Superseded');
      if (retired.includes(pc)) {
        expect(record.get(renewed!), `${pc} renewed, retired`).toBe('cessationOfOperation');
        expect(crl.get(renewed!)).toBe('Cessation Of Operation');
      } else {
        expect(record.has(renewed!), `${pc} renewed, kept`).toBe(false);
        expect(crl.has(renewed!)).toBe(false);
      }
    }
    expect(
      r.events.filter((e) => e.type === 'renewed' && e.profile === 'PC SCEP').map((e) => e.detail),
    ).toEqual(pcs.map(() => expect.stringMatching(/replaces [0-9A-F]+ \(revoked: superseded\)/)));
  });
});
