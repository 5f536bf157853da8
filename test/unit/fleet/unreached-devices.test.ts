/**
 * Issue 10 point 2 — no vacuous pass: a device that never enrolled (broker killed mid-run) used to have
 * no rows, so expectations held over the rest ("100 devices (61 enrolled)", "Expectations 3/3 held",
 * exit 0). Every planned device now ends with a row per targeted profile, coded DEVICE_NEVER_ENROLLED or
 * DEVICE_NO_ANSWER, and the run cannot pass unless an expectation names that state.
 */
import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { applicableAssignments } from '../../../simulator/service/mdm/assignment.ts';
import { assignmentsOf } from '../../../simulator/fleet/assignments.ts';
import {
  completeOutcomes,
  UNREACHED_GATE_TEXT,
  unreachedGate,
} from '../../../simulator/fleet/compose/unreached-devices.ts';
import { renderSummary } from '../../../simulator/report/console.ts';
import { renderJunit } from '../../../simulator/report/junit.ts';
import { buildReportJson } from '../../../simulator/report/report-json.ts';
import { summarize } from '../../../simulator/report/summary.ts';
import type { DeviceProfileOutcome, RunEvent, RunResult } from '../../../simulator/run-model.ts';
import { evaluateExpectations, loadScenario, planFleet } from '../../../simulator/scenario/index.ts';

const TEXT = (expect: string): string => `
name: unreached
seed: issue10-unreached
duration: 1d
fleet:
  devices: 12
  ramp: 1h
  mix:
    - { platform: windows, kind: entra-joined, weight: 1 }
    - { platform: android, kind: dedicated, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: all
    certificate: root
  - name: Wi-Fi
    type: pkcs
    platforms: [windows]
    template: CertfleetUser
    subject: 'CN={{UserPrincipalName}}'
expect:
${expect}
`;

const ALL_INSTALLED = `  - { text: every row installs, status: installed }`;
const NAMES_NEVER = `${ALL_INSTALLED}
  - { text: the lost devices say so, code: DEVICE_NEVER_ENROLLED, count: '>=0' }
  - { text: the silent device says so, code: DEVICE_NO_ANSWER, count: '>=0' }`;

function fleetOf(expectText: string) {
  const scenario = loadScenario({ text: TEXT(expectText), file: 'unreached.yaml', baseDir: '.' });
  const devices = planFleet(scenario).map((plan) => ({ device: generateDevice(plan.generate), plan }));
  return { scenario, devices };
}

/**
 * Devices 0–3 installed everything, device 4 was sent its payloads and answered none, 5–11 never enrolled.
 * `silentCode` gives the code of each of device 4's rows (default: sent, not answered).
 */
function run(
  expectText: string,
  silentCode: (profile: string) => DeviceProfileOutcome['code'] = () => 'DELIVERY_NO_ANSWER',
): RunResult {
  const { scenario, devices } = fleetOf(expectText);
  const { assignments, nameOfId } = assignmentsOf(scenario);
  const at = new Date(scenario.start).toISOString();
  const outcomes: DeviceProfileOutcome[] = [];
  const events: RunEvent[] = [];
  for (const { device, plan } of devices.slice(0, 5)) {
    const target = {
      platform: device.platform,
      kind: device.enrollmentKind,
      ownership: device.ownership,
      tags: plan.tags,
    };
    for (const a of applicableAssignments(assignments, target)) {
      const profile = nameOfId.get(a.name) ?? a.name;
      const silent = plan.index === 4;
      outcomes.push({
        device: device.id,
        platform: device.platform,
        kind: device.enrollmentKind,
        profile,
        status: silent ? 'pending' : 'installed',
        code: silent ? silentCode(profile) : 'OK',
        message: silent ? 'Sent (attempt 3 of 3).' : 'installed',
        renewals: 0,
        at,
      });
      if (!silent || silentCode(profile) === 'DELIVERY_NO_ANSWER')
        events.push({ at, device: device.id, profile, type: 'delivered', detail: 'attempt 1' });
    }
  }
  const reached = new Set(devices.slice(0, 5).map((d) => d.device.id));
  const end = scenario.start + scenario.durationMs;
  const rows = completeOutcomes({
    scenario,
    devices,
    outcomes,
    events,
    known: reached,
    enrolled: reached,
    end,
  });
  const result: RunResult = {
    scenario: scenario.name,
    seed: scenario.seed,
    devices: devices.length,
    startedAt: at,
    devicesList: devices.map(({ device, plan }) => ({
      id: device.id,
      index: plan.index,
      platform: device.platform,
      kind: device.enrollmentKind,
      osVersion: device.osVersion,
      model: device.model,
      enrolled: reached.has(device.id),
    })),
    outcomes: rows,
    events,
    expectations: [],
    metrics: {
      wallSeconds: 1,
      virtualStart: at,
      virtualEnd: new Date(end).toISOString(),
      devicesPerSecond: 12,
      certificatesIssued: 4,
      connectorLoad: {},
      messages: 10,
    },
  };
  result.expectations = evaluateExpectations(scenario.expect, result);
  const gate = unreachedGate(scenario.expect, result.expectations, result.outcomes);
  if (gate) result.expectations.push(gate);
  return result;
}

describe('issue 10 point 2: devices that never enrol or never answer cannot give a vacuous pass', () => {
  it('every planned device ends with one row per targeted profile, coded by what happened', () => {
    const { scenario, devices } = fleetOf(ALL_INSTALLED);
    const { assignments } = assignmentsOf(scenario);
    const targeted = devices.reduce(
      (n, { device, plan }) =>
        n +
        applicableAssignments(assignments, {
          platform: device.platform,
          kind: device.enrollmentKind,
          ownership: device.ownership,
          tags: plan.tags,
        }).length,
      0,
    );
    const r = run(ALL_INSTALLED);
    expect(targeted).toBeGreaterThan(12); // windows devices get two profiles
    expect(r.outcomes).toHaveLength(targeted);
    for (const { device, plan } of devices) {
      const rows = r.outcomes.filter((o) => o.device === device.id);
      expect(rows.length).toBeGreaterThan(0);
      const want = plan.index < 4 ? 'OK' : plan.index === 4 ? 'DEVICE_NO_ANSWER' : 'DEVICE_NEVER_ENROLLED';
      expect(rows.map((o) => o.code)).toEqual(rows.map(() => want));
      if (plan.index >= 4) expect(rows.every((o) => o.status === 'pending')).toBe(true);
    }
    const never = r.outcomes.find((o) => o.code === 'DEVICE_NEVER_ENROLLED');
    expect(never?.message).toMatch(/never enrolled.*planned enrol time/);
    expect(r.outcomes.find((o) => o.code === 'DEVICE_NO_ANSWER')?.message).toMatch(
      /answered none of its 2 profiles/,
    );
  });

  it('a device sent one payload it never answered, its other waiting for a connector, answered none: DEVICE_NO_ANSWER', () => {
    const codesOf4 = (r: RunResult): string[] => {
      const four = r.devicesList.find((d) => d.index === 4)!.id;
      return r.outcomes.filter((o) => o.device === four).map((o) => `${o.profile} ${o.code}`);
    };
    const waiting = run(ALL_INSTALLED, (p) =>
      p === 'Wi-Fi' ? 'CERTIFICATE_NOT_ISSUED' : 'DELIVERY_NO_ANSWER',
    );
    expect(codesOf4(waiting).sort()).toEqual(['Root DEVICE_NO_ANSWER', 'Wi-Fi DEVICE_NO_ANSWER']);
    // nothing was sent to it: it did not fail to answer; its rows keep the service's codes
    const unsent = run(ALL_INSTALLED, (p) =>
      p === 'Wi-Fi' ? 'CERTIFICATE_NOT_ISSUED' : 'DELIVERY_NOT_SENT',
    );
    expect(codesOf4(unsent).sort()).toEqual(['Root DELIVERY_NOT_SENT', 'Wi-Fi CERTIFICATE_NOT_ISSUED']);
  });

  it('a run whose expectations do not name those devices fails: one more expectation, broken, naming every such row', () => {
    const r = run(ALL_INSTALLED);
    // the scenario's own expectation is broken too (pending rows are selected); the gate is added
    const gate = r.expectations.find((e) => e.text === UNREACHED_GATE_TEXT);
    expect(gate?.held).toBe(false);
    const unreached = r.outcomes.filter(
      (o) => o.code === 'DEVICE_NEVER_ENROLLED' || o.code === 'DEVICE_NO_ANSWER',
    );
    expect(gate?.offenders?.map((o) => `${o.device}/${o.profile}`).sort()).toEqual(
      unreached.map((o) => `${o.device}/${o.profile}`).sort(),
    );
    expect(gate?.detail).toMatch(/^7 devices never enrolled and 1 never answered/);
    expect(r.expectations.every((e) => e.held)).toBe(false);
  });

  it('the old vacuous pass: an expectation selecting only the reached devices held — now the run fails', () => {
    const r = run(
      `  - { text: Windows devices install the root, where: { platform: [windows] }, profile: Root, status: installed, count: '>=1' }`,
    );
    const own = r.expectations.find((e) => e.text === 'Windows devices install the root');
    expect(own?.held).toBe(true); // the scenario's expectation alone would pass
    expect(r.expectations.some((e) => e.text === UNREACHED_GATE_TEXT && !e.held)).toBe(true);
    const summary = summarize(r);
    expect(summary.passed).toBe(false);
    expect(summary.unreached).toEqual({ neverEnrolled: 7, noAnswer: 1 });
  });

  it('an expectation that names the state covers those rows: no gate is added', () => {
    const r = run(NAMES_NEVER);
    expect(r.expectations.map((e) => e.text)).not.toContain(UNREACHED_GATE_TEXT);
  });

  it('naming only one of the two states leaves the other failing the run', () => {
    const r = run(`${ALL_INSTALLED}
  - { text: the lost devices say so, code: DEVICE_NEVER_ENROLLED, count: '>=0' }`);
    const gate = r.expectations.find((e) => e.text === UNREACHED_GATE_TEXT);
    expect(gate?.offenders?.every((o) => o.why.startsWith('DEVICE_NO_ANSWER'))).toBe(true);
    expect(gate?.offenders?.length).toBeGreaterThan(0);
  });

  it('the console, report.json and junit.xml count them and fail the run', () => {
    const r = run(ALL_INSTALLED);
    const text = renderSummary(r, { color: false });
    expect(text).toContain('12 devices (5 enrolled, 7 never enrolled, 1 never answered)');
    const json = buildReportJson(r) as { passed: boolean; summary: { unreached: unknown } };
    expect(json.passed).toBe(false);
    expect(json.summary.unreached).toEqual({ neverEnrolled: 7, noAnswer: 1 });
    const xml = renderJunit(r);
    const unreached = r.outcomes.filter((o) => o.status === 'pending').length;
    const failures = Number(/<testsuites[^>]* failures="(\d+)"/.exec(xml)?.[1]);
    expect(failures).toBeGreaterThanOrEqual(unreached);
    expect(xml).toContain('DEVICE_NEVER_ENROLLED');
  });
});
