import { Script, createContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../pki/errors.ts';
import { htmlEscape, renderHtml, scriptJson } from '../../../simulator/report/html.ts';
import { buildReportJson } from '../../../simulator/report/report-json.ts';
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
    attributes: Record<string, string> = {};
    href = '';
    clicks = 0;
    setAttribute(k: string, v: string) {
      this.attributes[k] = v;
    }
    click() {
      this.clicks += 1;
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
    csv: new El('button'),
    'csv-link': new El('a'),
  };
  const document = {
    getElementById: (id: string) => byId[id],
    createElement: (t: string) => new El(t),
    querySelectorAll: () => [],
  };
  new Script(inlineScript(html)).runInContext(createContext({ document, JSON, String }));
  return byId as Record<string, El> & {
    rows: El;
    q: El;
    status: El;
    platform: El;
    count: El;
    csv: El;
    'csv-link': El;
  };
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
  });

  it('regression issue 13: a clicked row opens its timeline in place, in a row right below it', () => {
    const dom = fakeDom(renderHtml(evilRun()));
    dom.status.value = 'failed';
    dom.status.fire('change');
    dom.rows.children[0]?.fire('click');
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

  it('the CSV button gives the matching rows as a data: URL, quoted, with formulas defused', () => {
    const run = evilRun();
    run.outcomes = run.outcomes.map((o) =>
      o.device === 'and-1' ? { ...o, message: '=HYPERLINK("x"), then "more"' } : o,
    );
    const dom = fakeDom(renderHtml(run));
    dom.platform.value = 'android';
    dom.platform.fire('change');
    dom.csv.fire('click');
    const link = dom['csv-link'];
    expect(link.clicks).toBe(1);
    expect(link.attributes.download).toMatch(/^certfleet-.*-seed-42\.csv$/);
    expect(link.href.startsWith('data:text/csv;charset=utf-8,')).toBe(true);
    const csv = decodeURIComponent(link.href.slice('data:text/csv;charset=utf-8,'.length));
    const lines = csv
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(
      'device,platform,kind,os_version,model,enrolled,profile,status,code,renewals,message,native,at',
    );
    expect(lines).toHaveLength(1 + 6); // three Android devices × two profiles
    expect(lines.every((l, i) => i === 0 || l.split(',')[1] === 'android')).toBe(true);
    expect(csv).toContain(`"'=HYPERLINK(""x""), then ""more"""`);
  });
});

describe('renderHtml: metadata, breakdown, time, print (issue 13)', () => {
  const run = sampleRun();
  const report = buildReportJson(run, undefined, {
    run: {
      version: '9.8.7',
      command: 'certfleet run wifi.yaml --devices 8',
      scenario: {
        name: 'fixture',
        description: 'Wi-Fi <rollout>',
        file: '/s/wifi.yaml',
        sha256: 'ab'.repeat(32),
      },
      seed: 'seed-42',
      wallStart: '2026-05-04T10:11:12.000Z',
      machine: { os: 'Linux 6 (linux)', arch: 'x64', cpus: 2, cpuModel: 'Xeon', node: 'v20.19.0' },
    },
  });
  const html = renderHtml(run, { report });

  it('regression issue 13: report.html shows who ran what where — version, command, scenario, hash, seed, wall start, machine', () => {
    const dl = /<dl class="run-meta">(.*?)<\/dl>/s.exec(html)?.[1] ?? '';
    const pairs = Object.fromEntries(
      [...dl.matchAll(/<dt>(.*?)<\/dt><dd>(.*?)<\/dd>/g)].map((m) => [m[1], m[2]]),
    );
    expect(pairs).toEqual({
      certfleet: '9.8.7',
      Command: '<code>certfleet run wifi.yaml --devices 8</code>',
      Scenario: 'fixture — Wi-Fi &lt;rollout&gt;',
      'Scenario file': `<code>/s/wifi.yaml</code> · SHA-256 <code class="sha">${'ab'.repeat(32)}</code>`,
      Seed: '<code>seed-42</code>',
      'Started (wall clock)': '2026-05-04T10:11:12.000Z',
      'Agent hosts': 'one process',
      'Virtual time': '2026-03-01T00:00:00.000Z → 2026-12-01T00:00:00.000Z',
      Machine: 'Linux 6 (linux) · x64 · 2 CPUs (Xeon) · Node.js v20.19.0',
    });
  });

  it('names the broker of a one-process run (run.json `broker`): a child broker is not "in the run’s process"', () => {
    const pairsOf = (h: string) =>
      Object.fromEntries(
        [
          ...(/<dl class="run-meta">(.*?)<\/dl>/s.exec(h)?.[1] ?? '').matchAll(
            /<dt>(.*?)<\/dt><dd>(.*?)<\/dd>/g,
          ),
        ].map((m) => [m[1], m[2]]),
      );
    const withBroker = (broker: 'embedded' | 'child' | 'mosquitto' | 'external') =>
      pairsOf(renderHtml(run, { report: { ...report, run: { ...report.run!, broker } } }));
    expect(withBroker('child')).toMatchObject({
      'Agent hosts': 'one process',
      Broker: 'embedded (aedes), in a child process',
    });
    expect(withBroker('embedded').Broker).toBe('embedded (aedes), in the run’s process');
    expect(withBroker('mosquitto').Broker).toBe('Mosquitto, started by the run');
    // a run.json without it (older runs, split runs) shows no Broker row
    expect(pairsOf(html)).not.toHaveProperty('Broker');
  });

  it('has the platform × enrollment-kind table with percentages, sortable', () => {
    const table = /<table class="sortable" id="platform-kind">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
    expect(table.match(/<tr>/g)).toHaveLength(1 + 6);
    expect(table).toContain(
      '<td>android</td><td>work-profile-personal</td><td class="n">2</td><td class="n">2</td><td class="n">4</td>' +
        '<td class="n" data-sort="50">2 <span class="pct">50.0 %</span></td><td class="n" data-sort="50">2 <span class="pct">50.0 %</span></td>',
    );
  });

  it('has the time section; without run.db it says deferrals and validity are unknown', () => {
    expect(html).toContain('<h2 id="time">Over virtual time</h2>');
    expect(html).toContain('<svg class="chart time-chart"');
    expect(html.match(/Unknown: this report was written without the run database\./g)).toHaveLength(2);
  });

  it('has a print layout that hides the controls', () => {
    expect(html).toMatch(
      /@media print\{[\s\S]*?\.controls,button,\.no-print,noscript\{display:none!important\}/,
    );
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
