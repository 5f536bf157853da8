import { describe, expect, it } from 'vitest';
import { shouldColor, stripAnsi } from '../../../simulator/report/ansi.ts';
import { renderSummary } from '../../../simulator/report/console.ts';
import { renderHtml } from '../../../simulator/report/html.ts';
import { buildReportJson } from '../../../simulator/report/report-json.ts';
import { sampleRun } from './fixture.ts';

const ESC = '\u001b';

describe('renderSummary', () => {
  const plain = renderSummary(sampleRun(), { color: false });
  const coloured = renderSummary(sampleRun(), { color: true });

  it('without colour has no escape sequence; with colour it has, and says the same text', () => {
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(`${ESC}[31m`);
    expect(coloured).toContain(`${ESC}[32m`);
    expect(stripAnsi(coloured)).toBe(plain);
  });

  it.each([
    // a row's cells, whitespace-separated: platform profile targeted installed failed pending skipped renewed codes
    // (RENEWED counts renewals: and-3 renewed twice, so android × Wi-Fi PKCS has 2)
    ['windows', 'Wi-Fi PKCS', '2 1 1 0 0 1 INSTALL_KSP_UNAVAILABLE 1'],
    ['android', 'Wi-Fi PKCS', '3 1 2 0 0 2 VARIABLE_MISSING 2'],
    ['ios', 'Wi-Fi PKCS', '1 0 0 1 0 0'],
    ['macos', 'Wi-Fi PKCS', '1 0 0 0 1 0'],
    ['android', 'Contoso Root', '3 3 0 0 0 0'],
  ])('table row %s × %s reads %s', (platform, profile, cells) => {
    const line = plain.split('\n').find((l) => l.startsWith(platform) && l.includes(profile));
    expect(line?.replace(/\s+/g, ' ').trim()).toBe(`${platform} ${profile} ${cells}`);
  });

  it('has a header with a skipped column only when something was skipped', () => {
    expect(plain).toMatch(/PLATFORM\s+PROFILE\s+TARGETED\s+INSTALLED\s+FAILED\s+PENDING\s+SKIPPED\s+RENEWED/);
    const run = sampleRun();
    run.outcomes = run.outcomes.filter((o) => o.status !== 'skipped');
    expect(renderSummary(run, { color: false })).not.toContain('SKIPPED');
  });

  it('regression: RENEWED counts renewals, each once — a device that renewed twice counts 2, as report.json and report.html say', () => {
    // QA's case in small: every Windows device renews its Wi-Fi certificate twice over the run
    const run = sampleRun();
    run.outcomes = run.outcomes.map((o) =>
      o.platform === 'windows' && o.profile === 'Wi-Fi PKCS'
        ? { ...o, status: 'installed', code: 'OK', message: 'installed', renewals: 2 }
        : o,
    );
    const text = renderSummary(run, { color: false });
    // a line's cells: the table pads with spaces and separates columns by two or more
    const cells = (platform: string, profile = ''): string[] =>
      (text.split('\n').find((l) => l.startsWith(platform) && l.includes(profile)) ?? '')
        .trim()
        .split(/\s{2,}/);
    const header = cells('PLATFORM');
    const renewed = header.indexOf('RENEWED');
    expect(renewed).toBeGreaterThan(0);
    const report = buildReportJson(run);
    const windows = report.summary.byPlatformProfile.find(
      (c) => c.platform === 'windows' && c.profile === 'Wi-Fi PKCS',
    );
    // 2 devices × 2 renewals; 1 device-row renewed twice on android (and-3)
    expect(cells('windows', 'Wi-Fi PKCS')[renewed]).toBe('4');
    expect(windows?.renewals).toBe(4);
    expect(cells('android', 'Wi-Fi PKCS')[renewed]).toBe('2');
    // the total row has no profile cell
    expect(cells('total')[renewed - 1]).toBe('6');
    expect(report.summary.totals.renewals).toBe(6);
    expect(report.outcomes.reduce((n, o) => n + o.renewals, 0)).toBe(6);
    const html = renderHtml(run, { report });
    expect(html).toContain('<span class="st renewed">6 renewals</span>');
    const windowsHtml = html.split('<h3>windows</h3>')[1]?.split('</p>')[0] ?? '';
    expect(windowsHtml).toContain('<span class="st renewed">4 renewals</span>');
  });

  it('lists the failures by code and cause, with count, share, where and an example device', () => {
    expect(plain).toContain(
      '1. VARIABLE_MISSING × 2 (28.6 % of "Wi-Fi PKCS") — {{IMEI}} (imei): a personally-owned work profile enrolled on Android 12 or later [os-version]',
    );
    expect(plain).toContain('     on android/work-profile-personal 2');
    expect(plain).toContain(
      'e.g. and-1 (android/work-profile-personal 1.0): The profile uses {{IMEI}} in the subject name',
    );
    expect(plain).toContain('2. INSTALL_KSP_UNAVAILABLE × 1 (14.3 % of "Wi-Fi PKCS") — KSP <Microsoft');
    const one = renderSummary(sampleRun(), { color: false, topReasons: 1 });
    expect(one).toContain('Failures by cause (top 1 of 2; all in report.json)');
    expect(one).not.toContain('2. INSTALL_KSP_UNAVAILABLE');
  });

  it('marks expectations held and broken', () => {
    expect(plain).toContain('Expectations: 1/2 held');
    expect(plain).toMatch(/✔ held\s+Android work profiles/);
    expect(plain).toMatch(/✘ broken all Windows devices install both profiles — win-2/);
  });

  it('drops control characters a device name or message could smuggle in', () => {
    const run = sampleRun();
    run.outcomes = run.outcomes.map((o) =>
      o.status === 'failed'
        ? { ...o, device: `evil${ESC}[2J`, message: `line1\nline2${ESC}]0;title\u0007` }
        : o,
    );
    const text = renderSummary(run, { color: false });
    expect(text).not.toContain(ESC);
    expect(text).toContain('line1 line2');
  });
});

describe('shouldColor', () => {
  it.each([
    [true, {}, true],
    [false, {}, false],
    [undefined, {}, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [false, { FORCE_COLOR: '1' }, true],
    [false, { FORCE_COLOR: '0' }, false],
    [true, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
  ] as const)('isTTY=%s env=%j → %s', (tty, env, expected) => {
    expect(shouldColor(tty, env)).toBe(expected);
  });
});
