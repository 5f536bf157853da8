/**
 * Issue 10 point 3 — the fault-injection switch of the e2e kill test (simulator/fleet/fault-injection.ts):
 * inert when CERTFLEET_FAULT_KILL_AFTER is unset or empty, a clear USAGE error for any other form, and
 * `ca-issued:N` fires exactly once, at the CA's N-th issuance for one of the run's connector requests (its
 * scope; SCEP and other runs' records not counted) — counted from the CA's issued records, so a process that starts past N (a resumed serve) never fires. A real CA folder;
 * the kill is the test's own callback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../pki/errors.ts';
import { faultInjection, FAULT_KILL_AFTER } from '../../../simulator/fleet/fault-injection.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const base = mkdtempSync(join(tmpdir(), 'certfleet-i10-fault-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const T0 = new Date('2026-03-01T10:00:00Z');

async function caWith(requests: number, name: string): Promise<EnterpriseCa> {
  const ca = await EnterpriseCa.init(join(base, name), {
    now: new Date(T0.getTime() - 86_400_000),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  for (let i = 1; i <= requests; i += 1) issue(ca, `scope/req-${i}`);
  return ca;
}

function issue(ca: EnterpriseCa, requestId: string): void {
  ca.issue({
    template: 'CertfleetUser',
    requester: { identity: 'connector-1', groups: [CONNECTOR_GROUP] },
    subject: `CN=${requestId.replace(/\W/g, '-')}`,
    publicKey: poolKey('rsa2048', 4).publicKey,
    now: T0,
    requestId,
  });
}

describe('issue 10 point 3: CERTFLEET_FAULT_KILL_AFTER', () => {
  it('is inert when unset or empty', () => {
    expect(faultInjection({})).toBeUndefined();
    expect(faultInjection({ [FAULT_KILL_AFTER]: '  ' })).toBeUndefined();
  });

  it('refuses any other form with USAGE, naming the one it takes', () => {
    for (const bad of ['ca-issued', 'ca-issued:0', 'ca-issued:-1', 'ca-issued:2x', 'broker:1', '3']) {
      let caught: unknown;
      try {
        faultInjection({ [FAULT_KILL_AFTER]: bad }, () => undefined);
      } catch (e) {
        caught = e;
      }
      expect(caught, bad).toBeInstanceOf(CertfleetError);
      expect((caught as CertfleetError).code).toBe('USAGE');
      expect((caught as CertfleetError).message).toMatch(/ca-issued:N/);
    }
  });

  it('ca-issued:2 fires once, right after the 2nd issuance for a connector request', async () => {
    const ca = await caWith(1, 'ca-fires');
    const kills: number[] = [];
    const fault = faultInjection({ [FAULT_KILL_AFTER]: 'ca-issued:2' }, () => kills.push(1))!;
    fault.caIssued(ca, 'scope/req-1');
    expect(kills).toHaveLength(0);
    // a SCEP issuance (or another run's connector on the same CA folder) is not one of this run's
    issue(ca, 'scep/tx-1/abc');
    issue(ca, 'other/req-1');
    issue(ca, 'scope/req-2');
    fault.caIssued(ca, 'scope/req-2');
    expect(kills).toHaveLength(1);
    issue(ca, 'scope/req-3');
    fault.caIssued(ca, 'scope/req-3');
    fault.caIssued(ca, 'scope/req-2');
    expect(kills).toHaveLength(1);
  });

  it('a process that starts past N (a resumed serve with the same variable) never fires', async () => {
    const ca = await caWith(2, 'ca-past');
    const kills: number[] = [];
    const fault = faultInjection({ [FAULT_KILL_AFTER]: 'ca-issued:2' }, () => kills.push(1))!;
    issue(ca, 'scope/req-3');
    fault.caIssued(ca, 'scope/req-3');
    issue(ca, 'scope/req-4');
    fault.caIssued(ca, 'scope/req-4');
    expect(kills).toHaveLength(0);
  });
});
