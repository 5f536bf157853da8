/**
 * regression issue 5: `ca: {dir}` from `certfleet ca init` is dated by the wall clock, while the default
 * virtual start is 2026-01-01: leaves were issued before the issuing CA's notBefore, silently. Now a
 * scenario without `start` begins once the CA is valid (its notBefore + the 10 min leaves are back-dated),
 * and an explicit `start` too early, or a run ending after the CA expires, is SCENARIO_INVALID on that line,
 * saying which start to set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { loadScenario, type ScenarioProblem } from '../../../simulator/scenario/index.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const work = mkdtempSync(join(tmpdir(), 'certfleet-castart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MADE = Date.parse('2026-12-04T09:00:00Z'); // "today", after the default start 2026-01-01
let notBefore: number;
let notAfter: number;

beforeAll(async () => {
  for (const [name, now] of [
    ['new-ca', MADE],
    ['old-ca', Date.parse('2025-06-01T00:00:00Z')],
  ] as const) {
    const ca = await EnterpriseCa.init(join(work, name), {
      now: new Date(now),
      rootKey: poolKey('rsa2048', 0),
      issuingKey: poolKey('rsa2048', 1),
      issuingYears: 1,
    });
    if (name === 'new-ca') {
      notBefore = Math.max(ca.root.notBefore.getTime(), ca.issuing.notBefore.getTime());
      notAfter = Math.min(ca.root.notAfter.getTime(), ca.issuing.notAfter.getTime());
    }
  }
});

const scenario = (lines: string, ca = 'new-ca'): string =>
  `name: t\n${lines}ca: { dir: ./${ca} }\nfleet: { devices: 1 }\n`;

function problems(text: string): { code: string; problems: ScenarioProblem[] } {
  try {
    loadScenario({ text, file: 's.yaml', baseDir: work });
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return { code: e.code, problems: e.details['problems'] as ScenarioProblem[] };
  }
  throw new Error('the scenario loaded');
}

describe('regression issue 5: the virtual start and a reused CA folder', () => {
  it('without start, the run begins once the CA and its back-dated leaves are valid', () => {
    const s = loadScenario({ text: scenario('duration: 30d\n'), file: 's.yaml', baseDir: work });
    expect(s.start).toBe(notBefore + 10 * 60_000);
    expect(s.start).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('without start, an older CA keeps the default start', () => {
    const s = loadScenario({ text: scenario('', 'old-ca'), file: 's.yaml', baseDir: work });
    expect(new Date(s.start).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('an explicit start before the CA is valid is a problem on the start line, naming the start to set', () => {
    const r = problems(scenario('start: 2026-01-01T00:00:00Z\n'));
    expect(r.code).toBe('SCENARIO_INVALID');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 2, path: 'start' });
    expect(r.problems[0]!.message).toContain(`set start: ${new Date(notBefore + 600_000).toISOString()}`);
  });

  it('a run that ends after the CA expires is a problem on the duration line', () => {
    const r = problems(scenario('start: 2026-12-05T00:00:00Z\nduration: 2y\n'));
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 3, path: 'duration' });
    expect(r.problems[0]!.message).toContain(`notAfter ${new Date(notAfter).toISOString()}`);
  });

  it('a start inside the validity loads as written', () => {
    const s = loadScenario({
      text: scenario('start: 2027-01-01T00:00:00Z\nduration: 30d\n'),
      file: 's.yaml',
      baseDir: work,
    });
    expect(s.start).toBe(Date.parse('2027-01-01T00:00:00Z'));
  });
});
