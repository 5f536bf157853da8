import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { afterAll, describe, expect, it } from 'vitest';
import { renderJunit, xmlAttr, xmlText } from '../../../simulator/report/junit.ts';
import { NASTY_MESSAGE, sampleRun } from './fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'certfleet-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `xmllint --noout` on the text; returns its stderr ('' when well-formed). */
function xmllint(xml: string, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, xml);
  try {
    execFileSync('xmllint', ['--noout', file], { stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

function cases(xml: string): Element[] {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return Array.from(doc.getElementsByTagName('testcase'));
}

function byName(xml: string, name: string): Element {
  const c = cases(xml).find((e) => e.getAttribute('name') === name);
  if (!c) throw new Error(`no testcase ${name}`);
  return c;
}

describe('renderJunit', () => {
  const xml = renderJunit(sampleRun());

  it('is well-formed according to xmllint', () => {
    expect(xmllint(xml, 'sample.xml')).toBe('');
  });

  it('has one test case per device × profile plus one per expectation', () => {
    expect(cases(xml)).toHaveLength(14 + 2);
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement!;
    expect([root.getAttribute('tests'), root.getAttribute('failures'), root.getAttribute('skipped')]).toEqual(
      ['16', '4', '2'],
    );
    const suites = Array.from(doc.getElementsByTagName('testsuite')).map((s) => [
      s.getAttribute('name'),
      s.getAttribute('tests'),
    ]);
    expect(suites).toEqual([
      ['certfleet.windows', '4'],
      ['certfleet.macos', '2'],
      ['certfleet.ios', '2'],
      ['certfleet.android', '6'],
      ['certfleet.expectations', '2'],
    ]);
  });

  it.each([
    // name, classname, child element, message attribute, type attribute
    [
      'Wi-Fi PKCS on win-2',
      'windows.hybrid-joined',
      'failure',
      'INSTALL_KSP_UNAVAILABLE',
      'INSTALL_KSP_UNAVAILABLE',
    ],
    [
      'Wi-Fi PKCS on and-1',
      'android.work-profile-personal',
      'failure',
      'VARIABLE_MISSING',
      'VARIABLE_MISSING',
    ],
    ['Wi-Fi PKCS on ios-1', 'ios.device', 'skipped', 'pending', null],
    [
      'Wi-Fi PKCS on mac-2',
      'macos.device',
      'skipped',
      'INSTALL_NOT_SIMULATED: Apple SCEP is not simulated',
      null,
    ],
    ['Contoso Root on win-1', 'windows.entra-joined', null, null, null],
    [
      'all Windows devices install both profiles',
      'certfleet.expectations',
      'failure',
      'expectation broken',
      'EXPECTATION',
    ],
    [
      'Android work profiles fail the PKCS profile with VARIABLE_MISSING {{IMEI}}',
      'certfleet.expectations',
      null,
      null,
      null,
    ],
  ])('%s (%s): %s message=%s type=%s', (name, classname, child, message, type) => {
    const c = byName(xml, name);
    expect(c.getAttribute('classname')).toBe(classname);
    const verdict = Array.from(c.childNodes).find(
      (n): n is Element =>
        n.nodeType === 1 && ['failure', 'skipped', 'error'].includes((n as Element).tagName),
    );
    expect(verdict?.tagName ?? null).toBe(child);
    expect(verdict?.getAttribute('message') ?? null).toBe(message);
    expect(verdict?.getAttribute('type') ?? null).toBe(type);
  });

  it('carries the message (with < & " characters) and the native status in the failure text', () => {
    const failure = byName(xml, 'Wi-Fi PKCS on win-2').getElementsByTagName('failure')[0];
    expect(failure?.textContent).toBe(
      `${NASTY_MESSAGE}\nSyncML 500 · CSP status 0x80090030 · Intune 0x87D101F4`,
    );
    expect(xml).not.toContain(NASTY_MESSAGE); // only escaped
  });

  it('notes renewals', () => {
    expect(byName(xml, 'Wi-Fi PKCS on and-3').getElementsByTagName('system-out')[0]?.textContent).toContain(
      'renewed 2 times',
    );
  });

  it('stays well-formed with hostile names: markup, quotes, control characters, lone surrogates', () => {
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
    expect(xmllint(hostile, 'hostile.xml')).toBe('');
    expect(cases(hostile)[0]?.getAttribute('name')).toContain('dev"<x>&amp;\ufffd\ufffd[2J\ufffd\ufffd\'');
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
