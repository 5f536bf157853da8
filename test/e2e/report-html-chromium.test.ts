/**
 * report.html in a real browser (issue 13 point 6): headless Chromium opens the report of a real run
 * (scenarios/default.yaml at 16 devices: every platform, a failing root on Pixel device administrators)
 * and a person's actions are played through the DevTools protocol — typing in the search box, clicking
 * column headers and a row, the CSV button — and the page's answers read back. Skipped, saying why, when
 * no Chromium is installed (Debian: `apt-get install chromium`; `.ci/run` installs it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReportJson } from '../../simulator/report/report-json.ts';
import { findChromium, openPage, type Page } from '../fixtures/chromium.ts';
import { certfleet } from './fixtures/certfleet-cli.ts';

const CHROMIUM = findChromium();
const SCENARIO = resolve(import.meta.dirname, '../../scenarios/default.yaml');

/** Empties the search box (as a person selecting all and deleting would) so each test starts from all rows. */
const CLEAR = `(() => { const q = document.getElementById('q'); q.value = ''; q.dispatchEvent(new Event('input')); })()`;

/** The device table's visible rows (story rows left out) as arrays of cell texts. */
const ROWS = `[...document.querySelectorAll('#rows tr:not(.story-row)')].map((tr) => [...tr.cells].map((td) => td.textContent))`;

describe.skipIf(CHROMIUM === undefined)(
  `report.html in headless Chromium${CHROMIUM === undefined ? ' — skipped: no Chromium (apt-get install chromium, or set CERTFLEET_CHROMIUM)' : ''}`,
  () => {
    const root = mkdtempSync(join(tmpdir(), 'certfleet-html-'));
    const out = join(root, 'run');
    let report: ReportJson;
    let page: Page;
    afterAll(async () => {
      await page?.close();
      rmSync(root, { recursive: true, force: true });
    });
    beforeAll(async () => {
      const run = await certfleet(['run', SCENARIO, '--devices', '16', '--out', out]);
      expect([0, 1], run.stderr).toContain(run.status); // 0 or an expectation that 16 devices cannot meet
      report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportJson;
      page = await openPage(CHROMIUM!, pathToFileURL(join(out, 'report.html')).href, {
        width: 1280,
        height: 900,
      });
    }, 180_000);
    beforeEach(async () => {
      await page.evaluate(CLEAR);
    });

    it('renders: title, metadata, the charts, and one table row per device × profile, with no script error', async () => {
      expect(await page.evaluate<string>('document.title')).toBe(`certfleet · default · seed ${report.seed}`);
      const meta = await page.evaluate<Record<string, string>>(
        `Object.fromEntries([...document.querySelectorAll('dl.run-meta dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent]))`,
      );
      expect(meta.certfleet).toBe(report.run?.version);
      expect(meta.Command).toMatch(/^certfleet run .*default\.yaml --devices 16 --out /);
      expect(meta['Scenario file']).toContain(`SHA-256 ${report.run?.scenario.sha256}`);
      expect(meta.Scenario).toContain('default — ');
      expect(meta.Seed).toBe(report.seed);
      expect(meta['Started (wall clock)']).toBe(report.run?.wallStart);
      expect(meta.Machine).toContain(process.version);
      expect(await page.evaluate<number>(`document.querySelectorAll('svg.chart').length`)).toBeGreaterThan(4);
      expect(
        await page.evaluate<number>(`document.querySelectorAll('svg.time-chart rect').length`),
      ).toBeGreaterThan(0);
      const rows = await page.evaluate<string[][]>(ROWS);
      expect(rows).toHaveLength(report.outcomes.length);
      expect(await page.evaluate<string>(`document.getElementById('count').textContent`)).toBe(
        `${report.outcomes.length} of ${report.outcomes.length} device × profile outcomes match`,
      );
      // the platform × kind table shows percentages
      expect(await page.evaluate<string>(`document.getElementById('platform-kind').innerText`)).toMatch(
        /\d+\.\d %/,
      );
      expect(page.errors).toEqual([]);
    });

    it('the search filters the rows as one types', async () => {
      const device = report.outcomes[5]!.device;
      await page.click('#q');
      await page.type(device.slice(0, 8));
      const rows = await page.evaluate<string[][]>(ROWS);
      const expected = report.outcomes.filter((o) => o.device === device);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(report.outcomes.length);
      expect(rows.map((r) => [r[0], r[3]])).toEqual(expected.map((o) => [o.device, o.profile]));
      expect(await page.evaluate<string>(`document.getElementById('count').textContent`)).toBe(
        `${expected.length} of ${report.outcomes.length} device × profile outcomes match`,
      );
      // two words: every row must have both
      await page.evaluate(CLEAR);
      await page.type('windows installed');
      const both = await page.evaluate<string[][]>(ROWS);
      expect(both.length).toBeGreaterThan(0);
      for (const r of both) expect([r[1], r[4]]).toEqual(['windows', 'installed']);
    });

    it('a click on a header sorts the column, a second click reverses it', async () => {
      const ids = [...new Set(report.outcomes.map((o) => o.device))];
      const sortedIds = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const sorted = (list: string[]) => [...list].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      // Profile: in the default (device, profile) order the column is not sorted; one click sorts it
      const before = (await page.evaluate<string[][]>(ROWS)).map((r) => r[3]!);
      expect(new Set(before).size).toBeGreaterThan(1);
      expect(before).not.toEqual(sorted(before));
      await page.click('#devices th[data-col="3"]');
      const byProfile = (await page.evaluate<string[][]>(ROWS)).map((r) => r[3]!);
      expect(byProfile).toEqual(sorted(before));
      expect(
        await page.evaluate<string>(
          `document.querySelector('#devices th[data-col="3"]').getAttribute('aria-sort')`,
        ),
      ).toBe('ascending');
      await page.click('#devices th[data-col="0"]');
      const asc = [...new Set((await page.evaluate<string[][]>(ROWS)).map((r) => r[0]!))];
      expect(asc).toEqual(sortedIds);
      await page.click('#devices th[data-col="0"]');
      const desc = [...new Set((await page.evaluate<string[][]>(ROWS)).map((r) => r[0]!))];
      expect(desc).toEqual([...sortedIds].reverse());
      expect(
        await page.evaluate<string>(
          `document.querySelector('#devices th[data-col="0"]').getAttribute('aria-sort')`,
        ),
      ).toBe('descending');
    });

    it('a static table sorts numerically on a click', async () => {
      await page.click('#platform-kind thead th:nth-child(3)'); // Devices
      const devices = await page.evaluate<number[]>(
        `[...document.querySelectorAll('#platform-kind tbody tr')].map((tr) => Number(tr.cells[2].textContent))`,
      );
      expect(devices.length).toBeGreaterThan(3);
      expect(devices).toEqual([...devices].sort((a, b) => a - b));
    });

    it('regression issue 13: a clicked row opens its timeline in place, right below it and on screen', async () => {
      await page.click('#rows tr:nth-child(7)');
      const where = await page.evaluate<{
        next: string;
        text: string;
        top: number;
        bottom: number;
        height: number;
      }>(`(() => {
        const open = document.querySelector('#rows tr.open');
        const story = open.nextElementSibling;
        const r = story.getBoundingClientRect();
        return { next: story.className, text: story.textContent, top: r.top, bottom: r.bottom, height: innerHeight };
      })()`);
      expect(where.next).toBe('story-row');
      expect(where.text).toMatch(/enrolled/);
      expect(where.top).toBeGreaterThanOrEqual(0);
      expect(where.top).toBeLessThan(where.height);
    });

    it('the CSV button produces the matching rows as a CSV data: URL', async () => {
      await page.click('#q');
      await page.type('windows');
      await page.click('#csv');
      const href = await page.evaluate<string>(`document.getElementById('csv-link').href`);
      expect(href.startsWith('data:text/csv;charset=utf-8,')).toBe(true);
      const csv = decodeURIComponent(href.slice('data:text/csv;charset=utf-8,'.length)).replace(
        /^\ufeff/,
        '',
      );
      const lines = csv.trimEnd().split('\r\n');
      expect(lines[0]).toBe(
        'device,platform,kind,os_version,model,enrolled,profile,status,code,renewals,message,native,at',
      );
      const windows = report.outcomes.filter((o) => o.platform === 'windows');
      expect(lines).toHaveLength(windows.length + 1);
      for (const l of lines.slice(1)) expect(l.split(',')[1]).toBe('windows');
      expect(
        await page.evaluate<string | null>(`document.getElementById('csv-link').getAttribute('download')`),
      ).toMatch(/^certfleet-default-.*\.csv$/);
    });

    it('prints without the controls', async () => {
      await page.send('Emulation.setEmulatedMedia', { media: 'print' });
      expect(
        await page.evaluate<string>(`getComputedStyle(document.querySelector('.controls')).display`),
      ).toBe('none');
      await page.send('Emulation.setEmulatedMedia', { media: '' });
      expect(
        await page.evaluate<string>(`getComputedStyle(document.querySelector('.controls')).display`),
      ).toBe('flex');
      expect(page.errors).toEqual([]);
    });
  },
);
