import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  junitTimestamp,
  renderFailureJunit,
  renderJunit,
  rowVerdicts,
  xmlAttr,
  xmlText,
} from '../../../simulator/report/junit.ts';
import { WallTimes } from '../../../simulator/report/wall-times.ts';
import { runFailureOf } from '../../../simulator/report/write-reports.ts';
import type { RunResult } from '../../../simulator/run-model.ts';
import { evaluateExpectations } from '../../../simulator/scenario/expectations.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { countMismatches, readJunit, xmllintJunit, type JunitDoc } from '../../fixtures/junit-check.ts';
import { NASTY_MESSAGE, sampleRun } from './fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'certfleet-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the text and validates it against test/fixtures/junit.xsd; '' when valid. */
function validate(xml: string, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, xml);
  return xmllintJunit(file);
}

/** Runs `xmllint --noout` (well-formedness only). */
function wellFormed(xml: string, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, xml);
  try {
    execFileSync('xmllint', ['--noout', file], { stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

function caseNamed(doc: JunitDoc, name: string): JunitDoc['suites'][number]['cases'][number] {
  const c = doc.suites.flatMap((s) => s.cases).find((x) => x.name === name);
  if (!c) throw new Error(`no testcase ${name}`);
  return c;
}

/** A wall clock that says each call is one second after the last, from 2026-05-04T10:00:00Z. */
function steppingClock(): () => number {
  let t = Date.parse('2026-05-04T10:00:00Z');
  return () => (t += 1000);
}

describe('renderJunit', () => {
  const xml = renderJunit(sampleRun());
  const doc = readJunit(xml);

  it('validates against the JUnit schema (xmllint --schema test/fixtures/junit.xsd), and its counts are the elements', () => {
    expect(validate(xml, 'sample.xml')).toBe('');
    expect(countMismatches(doc)).toEqual([]);
  });

  it('has one suite of expectations first, then one suite per platform × profile with a case per device', () => {
    expect(doc.suites.map((s) => [s.name, s.counted.tests])).toEqual([
      ['certfleet.expectations', 2],
      ['certfleet.windows · Contoso Root', 2],
      ['certfleet.windows · Wi-Fi PKCS', 2],
      ['certfleet.macos · Contoso Root', 1],
      ['certfleet.macos · Wi-Fi PKCS', 1],
      ['certfleet.ios · Contoso Root', 1],
      ['certfleet.ios · Wi-Fi PKCS', 1],
      ['certfleet.android · Contoso Root', 3],
      ['certfleet.android · Wi-Fi PKCS', 3],
    ]);
    expect(doc.suites[2]?.properties).toMatchObject({ platform: 'windows', profile: 'Wi-Fi PKCS' });
  });

  it.each([
    // name, classname, verdict, message, type
    [
      'all Windows devices install both profiles',
      'certfleet.expectations',
      'failure',
      'expectation broken: win-2: Wi-Fi PKCS failed with INSTALL_KSP_UNAVAILABLE',
      'EXPECTATION',
    ],
    [
      'Android work profiles fail the PKCS profile with VARIABLE_MISSING {{IMEI}}',
      'certfleet.expectations',
      null,
      null,
      null,
    ],
    // breaks the broken expectation: the one device case that fails
    [
      'Wi-Fi PKCS on win-2',
      'windows.hybrid-joined',
      'failure',
      'failed with INSTALL_KSP_UNAVAILABLE, but the scenario expects "all Windows devices install both profiles" (line 35): status failed',
      'EXPECTATION',
    ],
    // failed as the held expectation says: an expected failure passes
    ['Wi-Fi PKCS on and-1', 'android.work-profile-personal', null, null, null],
    ['Wi-Fi PKCS on and-2', 'android.work-profile-personal', null, null, null],
    // no expectation judges these: neither a pass nor a failure
    [
      'Wi-Fi PKCS on ios-1',
      'ios.device',
      'skipped',
      'pending: the device had not answered by the end of the run',
      null,
    ],
    [
      'Wi-Fi PKCS on mac-2',
      'macos.device',
      'skipped',
      'skipped: INSTALL_NOT_SIMULATED: Apple SCEP is not simulated',
      null,
    ],
    ['Contoso Root on win-1', 'windows.entra-joined', null, null, null],
  ])('%s (%s): %s message=%s type=%s', (name, classname, verdict, message, type) => {
    const c = caseNamed(doc, name);
    expect([c.classname, c.verdict, c.message, c.type]).toEqual([classname, verdict, message, type]);
  });

  it('failures count exactly the broken expectation and the row that breaks it', () => {
    expect(doc.attrs['failures']).toBe('2');
    expect(
      doc.suites.flatMap((s) => s.cases.filter((c) => c.verdict === 'failure').map((c) => c.name)),
    ).toEqual(['all Windows devices install both profiles', 'Wi-Fi PKCS on win-2']);
  });

  it('says what was expected and what came (message with < & " characters, native status) in the failure text', () => {
    expect(caseNamed(doc, 'Wi-Fi PKCS on win-2').text).toBe(
      'expected status installed (expectation "all Windows devices install both profiles", line 35): status failed\n' +
        `got: failed INSTALL_KSP_UNAVAILABLE: ${NASTY_MESSAGE}\nSyncML 500 · CSP status 0x80090030 · Intune 0x87D101F4`,
    );
    expect(xml).not.toContain(NASTY_MESSAGE); // only escaped
  });

  it('notes an expected failure and renewals in the passing case', () => {
    expect(caseNamed(doc, 'Wi-Fi PKCS on and-1').text).toMatch(
      /^expected failure \(expectation "Android work profiles fail the PKCS profile with VARIABLE_MISSING \{\{IMEI\}\}", line 30\): failed VARIABLE_MISSING: /,
    );
    expect(caseNamed(doc, 'Wi-Fi PKCS on and-3').text).toContain('renewed 2 times');
  });

  it('a failed row no expectation judges is skipped, saying how to judge it — never a failure', () => {
    const run = sampleRun();
    run.expectations = [];
    const d = readJunit(renderJunit(run));
    expect(d.attrs['failures']).toBe('0');
    expect(caseNamed(d, 'Wi-Fi PKCS on win-2')).toMatchObject({
      verdict: 'skipped',
      message:
        'failed with INSTALL_KSP_UNAVAILABLE, and no expectation of the scenario says it should: add one (expect: {status: failed, code: INSTALL_KSP_UNAVAILABLE}) to judge it',
    });
  });

  it('times are wall-clock: the timestamp is the command start, a row lasts from its device’s first event to its last', () => {
    const wall = new WallTimes(steppingClock()); // start: 10:00:01
    wall.record({ at: 'v', device: 'win-2', type: 'enrolled', detail: '' }); // 10:00:02
    wall.record({ at: 'v', device: 'win-2', profile: 'Wi-Fi PKCS', type: 'delivered', detail: '' }); // 03
    wall.record({ at: 'v', device: 'win-2', profile: 'Contoso Root', type: 'installed', detail: '' }); // 04
    wall.record({ at: 'v', device: 'win-2', profile: 'Wi-Fi PKCS', type: 'failed', detail: '' }); // 05
    const d = readJunit(renderJunit(sampleRun(), { wall, hostname: 'ci-runner-7' }));
    expect(d.attrs).toMatchObject({ timestamp: '2026-05-04T10:00:01Z', time: '3.250' });
    for (const s of d.suites)
      expect([s.attrs['timestamp'], s.attrs['hostname']]).toEqual(['2026-05-04T10:00:01Z', 'ci-runner-7']);
    expect(caseNamed(d, 'Wi-Fi PKCS on win-2').time).toBe('3.000');
    expect(caseNamed(d, 'Contoso Root on win-2').time).toBe('2.000');
    expect(d.suites.find((s) => s.name === 'certfleet.windows · Wi-Fi PKCS')?.attrs['time']).toBe('3.000');
    // an expectation lasts as long as the rows it selected (here win-2's, the only ones measured)
    expect(caseNamed(d, 'all Windows devices install both profiles').time).toBe('3.000');
    expect(d.suites[0]?.attrs['time']).toBe('3.000');
    // a row whose device never showed up has no measured time
    expect(caseNamed(d, 'Wi-Fi PKCS on ios-1').time).toBeNull();
    // the virtual times are properties, not timestamps
    expect(d.suites[0]?.properties).toMatchObject({
      virtualStart: '2026-03-01T00:00:00.000Z',
      virtualEnd: '2026-12-01T00:00:00.000Z',
    });
  });

  it('stays valid with hostile names: markup, quotes, control characters, lone surrogates', () => {
    const run = sampleRun();
    const evil = 'dev"<x>&amp;\u0001\u001b[2J\ud800\uffff\'';
    run.outcomes = run.outcomes.map((o) => ({
      ...o,
      device: evil,
      profile: `]]>${o.profile}`,
      message: `${o.message}\u0000<!--`,
    }));
    run.scenario = '<scenario a="b">';
    run.expectations = [{ text: '</testcase>', held: false, detail: '& <' }];
    const hostile = renderJunit(run);
    expect(wellFormed(hostile, 'hostile-wf.xml')).toBe('');
    expect(validate(hostile, 'hostile.xml')).toBe('');
    expect(readJunit(hostile).suites[1]?.cases[0]?.name).toContain(
      'dev"<x>&amp;\ufffd\ufffd[2J\ufffd\ufffd\'',
    );
  });
});

/** The sample run judged by the expectations of a scenario (`expect:` YAML items), as a run judges them. */
function judged(run: RunResult, yaml: string): RunResult {
  const scenario = loadScenario({
    text: `fleet: { devices: 1 }\nprofiles:\n  - { name: Wi-Fi PKCS, type: trusted, platforms: all }\nexpect:\n${yaml}`,
    file: 'e.yaml',
  });
  return { ...run, expectations: evaluateExpectations(scenario.expect, run) };
}

/** The sample run with win-1's Wi-Fi PKCS certificate installed and renewed twice (QA's case). */
function renewedTwice(): RunResult {
  const run = sampleRun();
  run.outcomes = run.outcomes.map((o) =>
    o.device === 'win-1' && o.profile === 'Wi-Fi PKCS' ? { ...o, renewals: 2 } : o,
  );
  return run;
}

/** Every `time` attribute of a junit.xml text. */
const timesOf = (xml: string): string[] => [...xml.matchAll(/ time="([^"]*)"/g)].map((m) => m[1]!);

describe('regression: a row that breaks an expectation says which and why (type EXPECTATION, never OK)', () => {
  const run = judged(
    renewedTwice(),
    [
      '  - { text: Windows PCs renew their Wi-Fi certificate once, where: { platform: windows }, profile: Wi-Fi PKCS, renewals: 1 }',
      '  - { text: no Android device fails the Wi-Fi profile, where: { platform: android }, profile: Wi-Fi PKCS, status: failed, share: none }',
    ].join('\n'),
  );
  const xml = renderJunit(run);
  const doc = readJunit(xml);

  it('an installed row with one renewal too many: type EXPECTATION, "installed, but the scenario expects …"', () => {
    expect(validate(xml, 'renewed-twice.xml')).toBe('');
    expect(caseNamed(doc, 'Wi-Fi PKCS on win-1')).toMatchObject({
      verdict: 'failure',
      type: 'EXPECTATION',
      message:
        'installed, but the scenario expects "Windows PCs renew their Wi-Fi certificate once" (line 5): 2 renewals',
    });
    expect(caseNamed(doc, 'Wi-Fi PKCS on win-1').text).toBe(
      'expected renewals 1 (expectation "Windows PCs renew their Wi-Fi certificate once", line 5): 2 renewals\ngot: installed OK: installed',
    );
    expect(xml).not.toContain('type="OK"');
    expect(xml).not.toContain('not what the scenario expects');
  });

  it('a failed row, and a row the expectation allows none of, say what they are and which expectation', () => {
    expect(caseNamed(doc, 'Wi-Fi PKCS on win-2')).toMatchObject({
      verdict: 'failure',
      type: 'EXPECTATION',
      message:
        'failed with INSTALL_KSP_UNAVAILABLE, but the scenario expects "Windows PCs renew their Wi-Fi certificate once" (line 5): 0 renewals',
    });
    expect(caseNamed(doc, 'Wi-Fi PKCS on and-1')).toMatchObject({
      verdict: 'failure',
      type: 'EXPECTATION',
      message:
        'failed with VARIABLE_MISSING, but the scenario expects "no Android device fails the Wi-Fi profile" (line 6): has status failed, and the expectation allows none',
    });
  });

  it('every failure type is one of the documented ones (README "Reports for CI")', () => {
    const types = new Set(doc.suites.flatMap((s) => s.cases.map((c) => c.type)).filter((t) => t !== null));
    expect([...types]).toEqual(['EXPECTATION']);
    expect(doc.attrs['failures']).toBe(String(2 + 2 + 2)); // 2 broken expectations, win-1 and win-2, and-1 and and-2
  });

  it('a run whose expectations all hold (renewals included) has failures="0" and no failure element', () => {
    const passing = judged(
      renewedTwice(),
      [
        '  - { text: win-1 renews twice, where: { platform: windows, kind: entra-joined }, profile: Wi-Fi PKCS, renewals: 2 }',
        '  - { text: Android work profiles lack the IMEI, where: { kind: work-profile-personal }, profile: Wi-Fi PKCS, code: VARIABLE_MISSING }',
      ].join('\n'),
    );
    expect(passing.expectations.every((e) => e.held)).toBe(true);
    const x = renderJunit(passing);
    expect(readJunit(x).attrs['failures']).toBe('0');
    expect(x).not.toContain('<failure');
    expect(x).not.toContain('EXPECTATION');
  });
});

describe('regression: every junit.xml time is seconds with three decimals', () => {
  /** A wall clock that advances 100 ms a call, from 2026-05-04T10:00:00Z. */
  const clock = (): (() => number) => {
    let t = Date.parse('2026-05-04T10:00:00Z');
    return () => (t += 100);
  };

  it('sub-second spans too (not 0.100000 beside 63.188)', () => {
    const wall = new WallTimes(clock()); // start 10:00:00.100
    wall.record({ at: 'v', device: 'win-2', type: 'enrolled', detail: '' }); // .200
    wall.record({ at: 'v', device: 'win-2', profile: 'Wi-Fi PKCS', type: 'failed', detail: '' }); // .300
    wall.record({ at: 'v', device: 'and-3', profile: 'Contoso Root', type: 'installed', detail: '' }); // .400
    const run = sampleRun();
    run.metrics.wallSeconds = 63.1884;
    const xml = renderJunit(run, { wall });
    const d = readJunit(xml);
    expect(caseNamed(d, 'Wi-Fi PKCS on win-2').time).toBe('0.100');
    expect(caseNamed(d, 'Contoso Root on and-3').time).toBe('0.000');
    expect(d.attrs['time']).toBe('63.188');
    const times = timesOf(xml);
    expect(times.length).toBeGreaterThan(10);
    for (const t of times) expect(t).toMatch(/^\d+\.\d{3}$/);
    expect(validate(xml, 'times.xml')).toBe('');
  });

  it('in the junit.xml of a run that could not be loaded, and of an interrupted run', () => {
    const failure = renderFailureJunit({
      scenario: 's.yaml',
      code: 'IO',
      message: 'x',
      stage: 'load',
      startedAt: 0,
      seconds: 0.1,
    });
    expect(timesOf(failure)).toEqual(['0.100', '0.100', '0.100']);
    const run = sampleRun();
    run.interrupted = { signal: 'SIGINT', at: '2026-03-02T00:00:00.000Z' };
    run.metrics.wallSeconds = 0.753;
    for (const t of timesOf(renderJunit(run))) expect(t).toMatch(/^\d+\.\d{3}$/);
    expect(timesOf(renderJunit(run))).toContain('0.753');
  });
});

describe('rowVerdicts', () => {
  it('a row breaking two broken expectations lists both', () => {
    const run = sampleRun();
    run.expectations.push({
      text: 'hybrid-joined PCs get Wi-Fi',
      held: false,
      detail: '',
      line: 40,
      checks: 'status installed',
      offenders: [{ device: 'win-2', profile: 'Wi-Fi PKCS', why: 'status failed' }],
    });
    const v = rowVerdicts(run).get('win-2\u0000Wi-Fi PKCS');
    expect(v?.kind === 'unexpected' && v.broken.map((b) => b.text)).toEqual([
      'all Windows devices install both profiles',
      'hybrid-joined PCs get Wi-Fi',
    ]);
  });
});

describe('renderFailureJunit', () => {
  it('one failing case saying why the scenario could not be loaded; valid against the schema', () => {
    const e = new CertfleetError(
      'SCENARIO_INVALID',
      'broken.yaml has 1 problem; fix it and run again:\n  broken.yaml:3:3: fleet.devies: unknown key',
    );
    const failure = runFailureOf(
      e,
      'broken.yaml',
      Date.parse('2026-05-04T10:00:00Z'),
      Date.parse('2026-05-04T10:00:00.250Z'),
    );
    expect(failure?.stage).toBe('load');
    const xml = renderFailureJunit(failure!, { hostname: 'h' });
    expect(validate(xml, 'failure.xml')).toBe('');
    const d = readJunit(xml);
    expect(countMismatches(d)).toEqual([]);
    expect([d.attrs['tests'], d.attrs['failures'], d.attrs['timestamp'], d.attrs['time']]).toEqual([
      '1',
      '1',
      '2026-05-04T10:00:00Z',
      '0.250',
    ]);
    expect(d.suites[0]?.cases[0]).toMatchObject({
      name: 'load the scenario broken.yaml',
      verdict: 'failure',
      type: 'SCENARIO_INVALID',
      // the attribute (what a CI dashboard shows on one line) names the problem, not only how many
      message:
        'SCENARIO_INVALID: broken.yaml has 1 problem; fix it and run again: broken.yaml:3:3: fleet.devies: unknown key',
    });
    expect(d.suites[0]?.cases[0]?.text).toContain('broken.yaml:3:3: fleet.devies: unknown key');
  });

  it('several problems: the attribute gives the first and how many more; a message that is no list, its first line', () => {
    const failure = (message: string) =>
      readJunit(
        renderFailureJunit({
          scenario: 'b.yaml',
          code: 'SCENARIO_INVALID',
          message,
          stage: 'load',
          startedAt: 0,
          seconds: 0,
        }),
      ).suites[0]?.cases[0];
    const four = failure(
      'b.yaml has 4 problems; fix them and run again:\n  b.yaml:3:3: fleet.devies: unknown key\n  b.yaml:3:3: fleet.devices: is required\n  b.yaml:6:29: profiles[1].graph: cannot read x\n  b.yaml:8:25: expect[0].profile: unknown profile',
    );
    expect(four?.message).toBe(
      'SCENARIO_INVALID: b.yaml has 4 problems; fix them and run again: b.yaml:3:3: fleet.devies: unknown key (and 3 more)',
    );
    expect(four?.text).toContain('b.yaml:8:25: expect[0].profile: unknown profile');
    expect(failure('no broker at mqtt://x\nsecond line')?.message).toBe(
      'SCENARIO_INVALID: no broker at mqtt://x',
    );
    expect(failure('a list follows:')?.message).toBe('SCENARIO_INVALID: a list follows:');
  });

  it('a run that fails after loading is a "run" failure; a usage error writes nothing', () => {
    expect(runFailureOf(new CertfleetError('TRANSPORT_UNREACHABLE', 'no broker'), 's.yaml', 0)?.stage).toBe(
      'run',
    );
    expect(
      runFailureOf(new CertfleetError('IO', 'x', { details: { input: true } }), 's.yaml', 0)?.stage,
    ).toBe('load');
    expect(
      runFailureOf(new CertfleetError('USAGE', '--tls with an external broker'), 's.yaml', 0),
    ).toBeUndefined();
  });

  it('junitTimestamp drops milliseconds (consumers parse yyyy-mm-ddThh:mm:ssZ)', () => {
    expect(junitTimestamp(Date.parse('2026-05-04T10:00:00.999Z'))).toBe('2026-05-04T10:00:00Z');
  });
});

describe('xml escaping', () => {
  it.each([
    ['a<b>&c', 'a&lt;b&gt;&amp;c', 'a&lt;b&gt;&amp;c'],
    ['"q"', '"q"', '&quot;q&quot;'],
    ['t\tn\nr\r', 't\tn\nr\r', 't&#9;n&#10;r&#13;'],
    ['\u0000\u0008', '\ufffd\ufffd', '\ufffd\ufffd'],
    ['😀', '😀', '😀'],
  ])('%j → text %j, attribute %j', (input, text, attr) => {
    expect(xmlText(input)).toBe(text);
    expect(xmlAttr(input)).toBe(attr);
  });
});
