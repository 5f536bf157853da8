import { Script, createContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../pki/errors.ts';
import { htmlEscape, renderHtml, scriptJson } from '../../../simulator/report/html.ts';
import { NASTY_MESSAGE, sampleRun } from './fixture.ts';

const EVIL = '</script><script>alert(1)</script>';

interface Blob {
  rows: (string | number)[][];
  devices: Record<string, [string, string, boolean]>;
  events: Record<string, string[][]> | null;
}

function blob(html: string): Blob {
  const m = /<script type="application\/json" id="certfleet-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no data blob');
  return JSON.parse(m[1]) as Blob;
}

function inlineScript(html: string): string {
  const m = /<script>([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no inline script');
  return m[1];
}

function evilRun() {
  const run = sampleRun();
  run.devicesList = run.devicesList.map((d) => (d.id === 'win-2' ? { ...d, id: EVIL, model: EVIL } : d));
  run.outcomes = run.outcomes.map((o) =>
    o.device === 'win-2' ? { ...o, device: EVIL, profile: `${o.profile}${EVIL}` } : o,
  );
  run.events = run.events.map((e) => (e.device === 'win-2' ? { ...e, device: EVIL, detail: EVIL } : e));
  run.scenario = EVIL;
  run.expectations = [{ text: EVIL, held: false, detail: '<img src=x onerror=alert(1)>' }];
  return run;
}

/** A tiny DOM, enough for the table script: elements with textContent, children and listeners. */
function fakeDom(html: string) {
  class El {
    children: El[] = [];
    className = '';
    value = '';
    style: Record<string, string> = {};
    listeners: Record<string, (() => void)[]> = {};
    parentNode: El | null = null;
    colSpan = 1;
    #text = '';
    constructor(readonly tagName: string) {}
    get textContent(): string {
      return this.#text + this.children.map((c) => c.textContent).join('');
    }
    set textContent(v: string) {
      this.#text = v;
      this.children = [];
    }
    get nextSibling(): El | null {
      const siblings = this.parentNode?.children ?? [];
      return siblings[siblings.indexOf(this) + 1] ?? null;
    }
    appendChild(c: El) {
      c.parentNode = this;
      this.children.push(c);
      return c;
    }
    insertBefore(c: El, ref: El | null) {
      c.parentNode = this;
      const i = ref ? this.children.indexOf(ref) : -1;
      if (i < 0) this.children.push(c);
      else this.children.splice(i, 0, c);
      return c;
    }
    removeChild(c: El) {
      this.children = this.children.filter((x) => x !== c);
      c.parentNode = null;
      return c;
    }
    addEventListener(type: string, fn: () => void) {
      (this.listeners[type] ??= []).push(fn);
    }
    fire(type: string) {
      for (const fn of this.listeners[type] ?? []) fn();
    }
  }
  const data = new El('script');
  data.textContent = JSON.stringify(blob(html));
  const byId: Record<string, El> = {
    'certfleet-data': data,
    q: new El('input'),
    status: new El('select'),
    platform: new El('select'),
    rows: new El('tbody'),
    count: new El('p'),
  };
  const document = {
    getElementById: (id: string) => byId[id],
    createElement: (t: string) => new El(t),
    querySelectorAll: () => [],
  };
  new Script(inlineScript(html)).runInContext(createContext({ document, JSON, String }));
  return byId as Record<string, El> & { rows: El; q: El; status: El; count: El };
}

describe('renderHtml', () => {
  const html = renderHtml(sampleRun());

  it('is one self-contained page: no external reference of any kind', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const forbidden of ['http://', 'https://', ' src=', ' href=', '<link', '@import', 'url(', '<iframe'])
      expect(html, forbidden).not.toContain(forbidden);
  });

  it('embeds the device table as JSON: one row per device × profile, with messages intact', () => {
    const b = blob(html);
    expect(b.rows).toHaveLength(14);
    const row = b.rows.find((r) => r[0] === 'win-2' && r[3] === 'Wi-Fi PKCS');
    expect(row).toEqual([
      'win-2',
      'windows',
      'hybrid-joined',
      'Wi-Fi PKCS',
      'failed',
      'INSTALL_KSP_UNAVAILABLE',
      NASTY_MESSAGE,
      0,
      'SyncML 500 · CSP status 0x80090030 · Intune 0x87D101F4',
      '2026-03-01T08:00:00.000Z',
    ]);
    expect(b.devices['mac-1']).toEqual(['1.0', 'model-mac-1', false]);
    expect(b.events?.['win-2']).toHaveLength(3);
  });

  it('leaves the events out past the limit', () => {
    expect(blob(renderHtml(sampleRun(), { maxEmbeddedEvents: 2 })).events).toBeNull();
  });

  it.each([
    ['windows', 2],
    ['macos', 2],
    ['ios', 2],
    ['android', 2],
  ])('draws an inline SVG chart for %s with one bar label per profile (%i)', (platform, profiles) => {
    const section = html.split(`<h3>${platform}</h3>`)[1]?.split('</svg>')[0] ?? '';
    expect(section).toContain('<svg class="chart"');
    expect(section.match(/text-anchor="end"/g)).toHaveLength(profiles);
  });

  it('shows failed segments in the charts, the failure breakdown by code with its meaning, and the expectations', () => {
    expect(html).toContain('<title>Wi-Fi PKCS: 2 failed</title>');
    expect(html).toContain(
      `<td class="mono">VARIABLE_MISSING</td><td class="n">2</td><td>android/work-profile-personal 2</td><td>${htmlEscape(ERROR_CODES.VARIABLE_MISSING)}</td>`,
    );
    expect(html).toContain(htmlEscape(NASTY_MESSAGE));
    expect(html).not.toContain(NASTY_MESSAGE);
    expect(html).toContain('<td class="held">✔ held</td>');
    expect(html).toContain(
      '<td class="broken">✘ broken</td><td>all Windows devices install both profiles</td>',
    );
    expect(html).toContain('<span class="badge fail">FAILED</span>');
  });

  it('escapes a malicious device name everywhere: nothing can close the script element', () => {
    const evil = renderHtml(evilRun());
    expect(evil).not.toContain('<script>alert(1)');
    expect(evil).not.toContain('<img src');
    expect(evil.match(/<script/g)).toHaveLength(2);
    expect(evil.match(/<\/script>/g)).toHaveLength(2);
    const b = blob(evil);
    expect(b.rows.filter((r) => r[0] === EVIL)).toHaveLength(2);
    expect(b.devices[EVIL]?.[1]).toBe(EVIL);
    expect(b.events?.[EVIL]?.[0]?.[3]).toBe(EVIL);
  });

  it('the table script filters by words, status and platform, and renders names as text', () => {
    const dom = fakeDom(renderHtml(evilRun()));
    expect(dom.rows.children).toHaveLength(14);
    expect(dom.count.textContent).toBe('14 of 14 device × profile outcomes match');
    dom.q.value = 'imei work-profile';
    dom.q.fire('input');
    expect(dom.rows.children.map((tr) => tr.children[0]?.textContent)).toEqual(['and-1', 'and-2']);
    dom.q.value = '';
    dom.status.value = 'failed';
    dom.status.fire('change');
    expect(dom.rows.children.map((tr) => tr.children[0]?.textContent)).toEqual([EVIL, 'and-1', 'and-2']);
    dom.rows.children[0]?.fire('click');
    // regression issue 13: the timeline opens in place, in a row right below the clicked one
    expect(dom.rows.children).toHaveLength(4);
    const story = dom.rows.children[1]!;
    expect(story.className).toBe('story-row');
    expect(story.textContent).toContain(`${EVIL}OS 1.0`);
    expect(story.textContent).toContain('enrolled');
    expect(dom.rows.children[0]?.className).toBe('open');
    dom.rows.children[0]?.fire('click'); // a second click closes it
    expect(dom.rows.children.map((tr) => tr.className)).toEqual(['', '', '']);
    dom.rows.children[2]?.fire('click');
    expect(dom.rows.children.map((tr) => tr.className)).toEqual(['', '', 'open', 'story-row']);
  });
});

describe('scriptJson', () => {
  it.each([
    ['</script>', '"\\u003c/script\\u003e"'],
    ['<!--', '"\\u003c!--"'],
    ['a&b', '"a\\u0026b"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
  ])('%j → %s, and parses back', (input, expected) => {
    expect(scriptJson(input)).toBe(expected);
    expect(JSON.parse(scriptJson(input))).toBe(input);
  });
});
