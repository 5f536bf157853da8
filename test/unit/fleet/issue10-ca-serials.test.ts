/**
 * Issue 10 point 3 — a resumed `serve` reopens its run CA: never made again (the same root key), and its
 * serial numbers continue where the killed process left them, none issued twice
 * (simulator/fleet/compose/ca-serials.ts, service-side.ts reopenFreshCa).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnterpriseCa, type IssueRequest } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { SeededSerials } from '../../../simulator/fleet/compose/ca-serials.ts';
import { caSerialLabel, reopenFreshCa } from '../../../simulator/fleet/compose/service-side.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const SEED = 'issue10-serials';
let base: string;

function request(i: number): IssueRequest {
  return {
    template: 'CertfleetUser',
    requester: { identity: 'connector-01', groups: [CONNECTOR_GROUP] },
    subject: `CN=User ${i},O=Contoso`,
    san: [{ type: 'upn', value: `user${i}@contoso.com` }],
    publicKey: poolKey('rsa2048', 2).publicKey,
    serverSideKey: true,
    now: NOW,
  };
}

/** A fresh run CA as freshCa makes it (pool keys instead of new ones), its serials from the seed. */
function initCa(dir: string): Promise<EnterpriseCa> {
  return EnterpriseCa.init(dir, {
    now: NOW,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
    random: new SeededSerials(caSerialLabel({ seed: SEED })).bytes,
  });
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i10-serials-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('issue 10 point 3: a reopened run CA continues its serials', () => {
  it('issues after a reopen exactly the serials the uninterrupted CA issues, none twice, same root key', async () => {
    const whole = await initCa(join(base, 'whole'));
    const expected = [1, 2, 3, 4, 5].map((i) => whole.issue(request(i)).record.serial);
    expect(new Set(expected).size).toBe(5);

    const dir = join(base, 'killed');
    const first = await initCa(dir);
    const before = [1, 2].map((i) => first.issue(request(i)).record.serial);
    const rootKey = readFileSync(join(dir, 'root.key'));
    const rootSerial = first.root.serialNumber;
    // the process dies here; a resumed serve opens the folder again
    const reopened = reopenFreshCa(dir, { seed: SEED });
    const after = [3, 4, 5].map((i) => reopened.issue(request(i)).record.serial);

    expect([...before, ...after]).toEqual(expected);
    const all = [reopened.root.serialNumber, reopened.issuing.serialNumber, ...before, ...after];
    expect(new Set(all).size).toBe(all.length);
    expect(reopened.root.serialNumber).toBe(rootSerial);
    expect(readFileSync(join(dir, 'root.key'))).toEqual(rootKey);
    expect(reopened.issuedRecords().map((r) => r.serial)).toEqual(expected);
  });

  it('without the skip the seeded stream would reuse the root serial: the reopen is what prevents it', async () => {
    const dir = join(base, 'plain');
    const ca = await initCa(dir);
    const plain = new SeededSerials(caSerialLabel({ seed: SEED }));
    const naive = plain.bytes(16);
    naive[0] = (naive[0]! & 0x7f) | 0x10;
    expect(naive.toString('hex').toUpperCase()).toBe(ca.root.serialNumber.replace(/^0+/, ''));
    const reopened = reopenFreshCa(dir, { seed: SEED });
    const next = reopened.issue(request(9)).record.serial;
    expect(next).not.toBe(ca.root.serialNumber);
    expect(next).not.toBe(ca.issuing.serialNumber);
  });

  it('a sibling CA (ca.authorities) reopens as it was: same issuing key and certificate, issued log kept', async () => {
    const main = await initCa(join(base, 'main-for-sibling'));
    const dir = join(base, 'ca-2');
    const sibling = await EnterpriseCa.initSibling(dir, main, {
      now: NOW,
      host: 'ca2.contoso.com',
      name: 'Contoso Issuing CA 2',
      issuingKey: poolKey('rsa2048', 3),
    });
    const issued = sibling.issue(request(1)).record.serial;
    const issuingKey = readFileSync(join(dir, 'issuing.key'));
    // what serviceSide({ resume }) does with the folder a killed serve left
    const reopened = EnterpriseCa.open(dir);
    expect(reopened.configString).toBe(sibling.configString);
    expect(Buffer.from(reopened.issuing.der).equals(Buffer.from(sibling.issuing.der))).toBe(true);
    expect(reopened.root.serialNumber).toBe(main.root.serialNumber);
    expect(reopened.issuedRecords().map((r) => r.serial)).toEqual([issued]);
    const next = reopened.issue(request(2)).record.serial;
    expect(next).not.toBe(issued);
    expect(readFileSync(join(dir, 'issuing.key'))).toEqual(issuingKey);
  });

  it('a known serial the stream never reaches is not waited for: the stream goes on', () => {
    const s = new SeededSerials('other');
    s.skip(['1F' + 'AB'.repeat(15), 'FFFF']); // one it never makes; one too short to be its own (ignored)
    expect(s.pending).toBe(1);
    const a = s.bytes(16);
    const b = s.bytes(16);
    expect(a.equals(b)).toBe(false);
    expect(s.pending).toBe(1);
  });

  it('steps over a known block only once', () => {
    const ref = new SeededSerials('once');
    const first = ref.bytes(16);
    const second = ref.bytes(16);
    const s = new SeededSerials('once');
    s.skip([`10${first.subarray(1).toString('hex')}`]);
    expect(s.bytes(16).equals(second)).toBe(true);
    expect(s.pending).toBe(0);
    // a fresh stream reaching the same block again (a later reopen without the skip) hands it out
    const t = new SeededSerials('once');
    expect(t.bytes(16).equals(first)).toBe(true);
  });
});
