import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { CA_FILES } from '../../../simulator/service/ca/ca-folder.ts';
import { EnterpriseCa, type IssueRequest } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const connector = { identity: 'connector-01', groups: [CONNECTOR_GROUP] };
let base: string;

/** A seeded random source: two CAs given the same seed draw the same serials. */
function seeded(seed: string): (n: number) => Buffer {
  let i = 0;
  return (n) => {
    i += 1;
    return createHash('sha256').update(`${seed}/${i}`).digest().subarray(0, n);
  };
}

async function newCa(name: string): Promise<EnterpriseCa> {
  return EnterpriseCa.init(join(base, name), {
    now: NOW,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
    random: seeded('ca'),
  });
}

function request(i: number, over: Partial<IssueRequest> = {}): IssueRequest {
  return {
    template: 'CertfleetUser',
    requester: connector,
    subject: `CN=User ${i},O=Contoso`,
    san: [{ type: 'upn', value: `user${i}@contoso.com` }],
    publicKey: poolKey('rsa2048', 2 + (i % 8)).publicKey,
    serverSideKey: true,
    requestId: `run/req-${i}`,
    now: NOW,
    ...over,
  };
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-ca-async-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('EnterpriseCa.issueAsync (signature off the main thread)', () => {
  it('issues the same certificates, serials, issued list and log, in call order, as issue()', async () => {
    const syncCa = await newCa('sync');
    const asyncCa = await newCa('async');
    const count = 12;
    const expected = Array.from({ length: count }, (_, i) => syncCa.issue(request(i)));
    const resolvedOrder: number[] = [];
    // all started in one turn: the thread pool may finish them in any order
    const got = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        asyncCa.issueAsync(request(i)).then((r) => {
          resolvedOrder.push(i);
          return r;
        }),
      ),
    );
    expect(resolvedOrder).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(new Set(got.map((g) => g.record.serial)).size).toBe(count);
    got.forEach((g, i) => {
      expect(g.certificate.der.equals(expected[i]!.certificate.der), `certificate ${i}`).toBe(true);
      expect(g.record).toEqual(expected[i]!.record);
      expect(g.chain.map((c) => c.toString('hex'))).toEqual(expected[i]!.chain.map((c) => c.toString('hex')));
    });
    expect(asyncCa.issuedRecords()).toEqual(syncCa.issuedRecords());
    expect(readFileSync(join(asyncCa.dir, CA_FILES.issued), 'utf8')).toBe(
      readFileSync(join(syncCa.dir, CA_FILES.issued), 'utf8'),
    );
    expect(asyncCa.issuedForRequest('run/req-5')?.record.serial).toBe(expected[5]!.record.serial);
    expect(got[0]!.certificate.verifySignature(asyncCa.issuing.publicKey)).toBe(true);
  });

  it('a denied request rejects with the policy code, records nothing, and the requests around it keep their order', async () => {
    const syncCa = await newCa('sync-deny');
    const asyncCa = await newCa('async-deny');
    const denied = request(1, { template: 'NoSuchTemplate' });
    const expected = [syncCa.issue(request(0))];
    expect(() => syncCa.issue(denied)).toThrow();
    expected.push(syncCa.issue(request(2)));

    const first = asyncCa.issueAsync(request(0));
    const bad = asyncCa.issueAsync(denied);
    const third = asyncCa.issueAsync(request(2));
    const error = await bad.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertfleetError(error)).toBe(true);
    let syncCode: string | undefined;
    try {
      syncCa.issue(denied);
    } catch (e) {
      syncCode = isCertfleetError(e) ? e.code : undefined;
    }
    expect(isCertfleetError(error) && error.code).toBe(syncCode);
    const got = [await first, await third];
    expect(got.map((g) => g.record.serial)).toEqual(expected.map((e) => e.record.serial));
    expect(asyncCa.issuedRecords()).toHaveLength(2);
    expect(asyncCa.issuedRecords()).toEqual(syncCa.issuedRecords());
  });
  it('a request that cannot be encoded (a DNS SAN outside ASCII) rejects, and the issues after it are not held back', async () => {
    const ca = await newCa('async-unencodable');
    const bad = ca.issueAsync(request(1, { san: [{ type: 'dns', value: 'Tim\u2019s iPhone' }] }));
    const next = ca.issueAsync(request(2));
    const error = await bad.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertfleetError(error) && error.code).toBe('CERT_BAD_INPUT');
    // before the fix the failed request stayed at the head of the queue and this never settled (the test
    // timed out); nothing here reads the CA synchronously, which would flush the queue and hide it
    expect((await next).record.subject).toBe('CN=User 2,O=Contoso');
    expect(ca.issuedRecords()).toHaveLength(1);
  });
  it('a synchronous issue() or read while some are being signed records those first, in call order: the record never depends on when the thread pool finishes', async () => {
    const syncCa = await newCa('sync-mixed');
    const asyncCa = await newCa('async-mixed');
    const expected = [0, 1, 2, 3, 4].map((i) => syncCa.issue(request(i)));
    const a0 = asyncCa.issueAsync(request(0));
    const a1 = asyncCa.issueAsync(request(1));
    // same turn: the thread pool has signed neither yet
    const b2 = asyncCa.issue(request(2));
    expect(asyncCa.issuedRecords().map((r) => r.serial)).toEqual(
      expected.slice(0, 3).map((e) => e.record.serial),
    );
    const a3 = asyncCa.issueAsync(request(3));
    // a read records it too, before it returns
    expect(asyncCa.issuedForRequest('run/req-3')?.record.serial).toBe(expected[3]!.record.serial);
    const a4 = asyncCa.issueAsync(request(4));
    const got = [await a0, await a1, b2, await a3, await a4];
    got.forEach((g, i) => {
      expect(g.certificate.der.equals(expected[i]!.certificate.der), `certificate ${i}`).toBe(true);
      expect(g.record).toEqual(expected[i]!.record);
    });
    // the late signatures of the flushed ones changed nothing
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(asyncCa.issuedRecords()).toEqual(syncCa.issuedRecords());
    expect(readFileSync(join(asyncCa.dir, CA_FILES.issued), 'utf8')).toBe(
      readFileSync(join(syncCa.dir, CA_FILES.issued), 'utf8'),
    );
  });
});
