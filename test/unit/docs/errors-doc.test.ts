/**
 * docs/errors.md is kept in step with the code by this test, not by hand (issue 8):
 * - "Codes certfleet emits" has exactly one row per code of ERROR_CODES (pki/errors.ts) and per success code
 *   of OutcomeCode (protocol/wire/outcome.ts), and each row's meaning is the code's own text;
 * - every native status a mapping table gives for a code is on that code's row, with the table's confidence
 *   label: Windows (WINDOWS_NATIVE_TABLE), Apple (APPLE_CASES), Android (ANDROID_NATIVE_CASES), AD CS
 *   (CA_DENIALS); the row's confidence column is the weakest label of its native forms;
 * - the reference sections (§1–§5) have the numbering the code cites, contain the row names the mapping
 *   tables quote, and list every SyncML status, Apple error, AMAPI reason and CA denial the code knows;
 * - every source tag the row or the code's mapping tables use is defined in the Sources table.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { OutcomeCode } from '../../../protocol/wire/outcome.ts';
import { ANDROID_NATIVE_CASES } from '../../../agent/platforms/android/native-status.ts';
import { APPLE_CASES } from '../../../agent/platforms/apple/native-status.ts';
import {
  WIN32,
  WINDOWS_NATIVE_TABLE,
  dwordText,
  intuneCode,
  type WindowsNativeRow,
} from '../../../agent/platforms/windows/native-status.ts';
import { ERROR_CODES, type ErrorCode } from '../../../pki/errors.ts';
import {
  NON_COMPLIANCE_REASONS,
  SPECIFIC_NON_COMPLIANCE_REASONS,
} from '../../../profiles/android/non-compliance.ts';
import { APPLE_ERRORS, intuneCodeForAppleError } from '../../../profiles/apple/apple-error-catalogue.ts';
import { SYNCML_STATUS_CODES } from '../../../profiles/windows/syncml-status-codes.ts';
import { CA_DENIALS } from '../../../simulator/service/ca/denials.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOC_PATH = 'docs/errors.md';
const DOC = readFileSync(join(ROOT, DOC_PATH), 'utf8');

/** The outcome codes that are not errors. tsc fails on `ALL_SUCCESS_LISTED` when OutcomeCode gains one. */
const SUCCESS_CODES = ['OK', 'UNCHANGED'] as const satisfies readonly Exclude<OutcomeCode, ErrorCode>[];
const ALL_SUCCESS_LISTED: Exclude<OutcomeCode, ErrorCode> extends (typeof SUCCESS_CODES)[number]
  ? true
  : false = true;

type Label = 'documented' | 'observed' | 'inferred';
/** Weakest first. */
const LABELS: readonly Label[] = ['inferred', 'observed', 'documented'];

/** The files whose text is the code's mapping tables (their source tags must be defined in the doc). */
const MAPPING_FILES = [
  'agent/platforms/windows/native-status.ts',
  'agent/platforms/apple/native-status.ts',
  'agent/platforms/android/native-status.ts',
  'profiles/apple/apple-error-catalogue.ts',
  'profiles/android/non-compliance.ts',
  'profiles/windows/syncml-status-codes.ts',
  'simulator/service/ca/denials.ts',
];
/** How the code names a source: S1…, A1…, G1…, PFXDOC, PKCSTS, AMAPI-NET, and the short names below. */
const TAG = /\b(?:[A-Z][0-9]|[A-Z]{2,}DOC|[A-Z]{3,}TS|AMAPI-[A-Z]+|CCI|RCA|OMADM|ADM)\b/g;

// --- markdown helpers ----------------------------------------------------------------------------------

interface Heading {
  line: number;
  level: number;
  title: string;
}

const LINES = DOC.split('\n');

/** The headings of the doc, outside code fences. */
const HEADINGS: Heading[] = (() => {
  const out: Heading[] = [];
  let fenced = false;
  LINES.forEach((text, line) => {
    if (/^```/.test(text)) fenced = !fenced;
    const m = fenced ? null : /^(#{1,6})\s+(.*?)\s*$/.exec(text);
    if (m) out.push({ line, level: (m[1] as string).length, title: m[2] as string });
  });
  return out;
})();

/** The section number of a heading: `## 1. Windows` → "1", `### 2.3 Case mapping` → "2.3". */
function numberOf(h: Heading): string | undefined {
  return /^(\d+(?:\.\d+)*)\.?\s/.exec(h.title)?.[1];
}

/** The text under the first heading `match` accepts, up to the next heading of the same or a higher level. */
function section(match: (h: Heading) => boolean): string {
  const i = HEADINGS.findIndex(match);
  if (i < 0) return '';
  const h = HEADINGS[i] as Heading;
  const next = HEADINGS.slice(i + 1).find((n) => n.level <= h.level);
  return LINES.slice(h.line + 1, next?.line ?? LINES.length).join('\n');
}

const byNumber = (n: string): string => section((h) => numberOf(h) === n);
const byTitle = (title: string): string => section((h) => h.title === title);

/** The cells of every table row of `body` (header and separator rows included; trimmed). */
function tableRows(body: string): string[][] {
  return body
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*:?-{3,}/.test(l))
    .map((l) =>
      l
        .replace(/^\|/, '')
        .replace(/\|\s*$/, '')
        .split('|')
        .map((c) => c.trim()),
    );
}

/** The alternatives of a cell (one per `<br>`). */
const alternatives = (cell: string): string[] => cell.split(/<br\s*\/?>/);
const labelsIn = (cell: string): Label[] =>
  [...cell.matchAll(/_(documented|observed|inferred)_/g)].map((m) => m[1] as Label);
const weakest = (labels: readonly Label[]): Label | undefined =>
  [...labels].sort((a, b) => LABELS.indexOf(a) - LABELS.indexOf(b))[0];

// --- the table of codes ------------------------------------------------------------------------------

interface CodeRow {
  code: string;
  meaning: string;
  windows: string;
  apple: string;
  android: string;
  service: string;
  source: string;
  confidence: string;
}

const EMITTED = byTitle('Codes certfleet emits');
const ROWS: CodeRow[] = tableRows(EMITTED)
  .filter((cells) => /^`[A-Z][A-Z0-9_]*`$/.test(cells[0] ?? ''))
  .map((c) => ({
    code: (c[0] as string).slice(1, -1),
    meaning: c[1] ?? '',
    windows: c[2] ?? '',
    apple: c[3] ?? '',
    android: c[4] ?? '',
    service: c[5] ?? '',
    source: c[6] ?? '',
    confidence: c[7] ?? '',
  }));
const ROW = new Map(ROWS.map((r) => [r.code, r]));

/** The Sources table's tags (`S1 / OMADM` defines both). */
const DEFINED_TAGS = new Set(
  tableRows(byTitle('Sources')).flatMap((cells) => {
    const m = /^`([^`]+)`$/.exec(cells[0] ?? '');
    return m ? (m[1] as string).split(/\s*\/\s*/) : [];
  }),
);

/**
 * The confidence label of a Windows row, read from its `source` string: certfleet's own choices
 * (`[certfleet]`) are inferred; otherwise the weakest label the string names; a bare S1 citation is
 * documented (the status and its meaning are S1's).
 */
function windowsLabel(source: string): Label {
  if (source.startsWith('[certfleet]')) return 'inferred';
  return LABELS.find((l) => new RegExp(`\\b${l}\\b`).test(source)) ?? 'documented';
}

/** `tokens` when no single alternative of `cell` holds them all; empty when one does. */
function missingTokens(cell: string, tokens: readonly string[]): string[] {
  return alternatives(cell).some((a) => tokens.every((t) => a.includes(t))) ? [] : [...tokens];
}

describe('docs/errors.md: the table of codes certfleet emits', () => {
  it('has one row per code of ERROR_CODES and per success code, and no other', () => {
    const expected = [...SUCCESS_CODES, ...Object.keys(ERROR_CODES)];
    expect(ALL_SUCCESS_LISTED).toBe(true);
    expect(ROWS.length).toBeGreaterThan(0);
    const missing = expected.filter((c) => !ROW.has(c));
    const unknown = ROWS.map((r) => r.code).filter((c) => !expected.includes(c));
    const twice = ROWS.map((r) => r.code).filter((c, i, all) => all.indexOf(c) !== i);
    expect({ missing, unknown, twice }).toEqual({ missing: [], unknown: [], twice: [] });
  });

  it('every row has the eight columns', () => {
    const bad = tableRows(EMITTED)
      .filter((cells) => /^`[A-Z][A-Z0-9_]*`$/.test(cells[0] ?? '') && cells.length !== 8)
      .map((cells) => `${cells[0]}: ${cells.length} cells`);
    expect(bad).toEqual([]);
  });

  it("each row's meaning is the code's own ERROR_CODES text (a note may follow after <br>)", () => {
    const bad = Object.entries(ERROR_CODES).flatMap(([code, text]) => {
      const row = ROW.get(code);
      const first = (alternatives(row?.meaning ?? '')[0] ?? '').replace(/`/g, '');
      return row === undefined || first === text ? [] : [`${code}: "${first}" is not "${text}"`];
    });
    expect(bad).toEqual([]);
  });

  it('every Windows status of WINDOWS_NATIVE_TABLE is on its row (SyncML, Intune code, Status value, label)', () => {
    const bad = Object.entries(WINDOWS_NATIVE_TABLE).flatMap(([code, r]) => {
      const row: WindowsNativeRow = r;
      const tokens = [`SyncML ${row.syncml}`, `_${windowsLabel(row.source)}_`];
      const intune = intuneCode(row.syncml);
      if (intune !== undefined) tokens.push(intune);
      if (row.csp !== undefined) tokens.push(`\`${row.csp}\``, `(${dwordText(WIN32[row.csp])})`);
      const missing = missingTokens(ROW.get(code)?.windows ?? '', tokens);
      return missing.length === 0 ? [] : [`${code}: Windows cell lacks ${missing.join(' + ')}`];
    });
    expect(bad).toEqual([]);
  });

  it('every Apple error of APPLE_CASES is on its code’s row, with the mapping’s label', () => {
    const bad = Object.entries(APPLE_CASES).flatMap(([name, c]) => {
      const e = APPLE_ERRORS[c.error];
      const tokens = [`\`${e.domain} ${e.code}\``, `_${c.mapping}_`];
      const missing = missingTokens(ROW.get(c.code)?.apple ?? '', tokens);
      return missing.length === 0
        ? []
        : [`${c.code} (case ${name}): Apple cell lacks ${missing.join(' + ')}`];
    });
    expect(bad).toEqual([]);
  });

  it('every Android reason of ANDROID_NATIVE_CASES is on its code’s row (settingName, reason, label)', () => {
    const bad = Object.entries(ANDROID_NATIVE_CASES).flatMap(([name, c]) => {
      const tokens = [`\`${c.setting}\``, `\`${c.reason}\``, `_${c.confidence}_`];
      const missing = missingTokens(ROW.get(c.code)?.android ?? '', tokens);
      return missing.length === 0
        ? []
        : [`${c.code} (case ${name}): Android cell lacks ${missing.join(' + ')}`];
    });
    expect(bad).toEqual([]);
  });

  it('every AD CS denial of CA_DENIALS is on its code’s row (symbol, hex, decimal, disposition, label)', () => {
    const bad = Object.entries(CA_DENIALS).flatMap(([code, d]) => {
      const tokens = [
        `\`${d.symbolic}\``,
        d.hresult,
        `(${d.hresultDecimal})`,
        `disposition ${d.disposition}`,
        `_${d.confidence}_`,
      ];
      if (d.additional !== undefined) tokens.push(d.additional);
      const missing = missingTokens(ROW.get(code)?.service ?? '', tokens);
      return missing.length === 0 ? [] : [`${code}: CA cell lacks ${missing.join(' + ')}`];
    });
    expect(bad).toEqual([]);
  });

  it("each row's confidence is the weakest label of its native forms (— when it has none)", () => {
    const bad = ROWS.flatMap((r) => {
      const want = weakest([r.windows, r.apple, r.android, r.service].flatMap(labelsIn)) ?? '—';
      return r.confidence === want ? [] : [`${r.code}: confidence "${r.confidence}", expected "${want}"`];
    });
    expect(bad).toEqual([]);
  });

  it('each source cell lists defined tags and links; — exactly when the row has no native form', () => {
    const bad = ROWS.flatMap((r) => {
      const native = [r.windows, r.apple, r.android, r.service].some((c) => c !== '—');
      if (!native) return r.source === '—' ? [] : [`${r.code}: no native form, so the source must be —`];
      const tokens = r.source
        .replace(/\[[^\]]*\]\([^)]*\)/g, '')
        .split(/[,;]/)
        .map((t) => t.trim())
        .filter((t) => t !== '');
      const undefinedTags = tokens.filter((t) => !DEFINED_TAGS.has(t));
      if (r.source === '—') return [`${r.code}: a native form needs a source`];
      return undefinedTags.length === 0 ? [] : [`${r.code}: undefined source ${undefinedTags.join(', ')}`];
    });
    expect(bad).toEqual([]);
  });
});

describe('docs/errors.md: the native-code reference sections', () => {
  it('has the sections the code is written against', () => {
    const numbers = HEADINGS.map(numberOf).filter((n) => n !== undefined);
    const wanted = ['1', '1.1', '1.2', '1.3', '1.4', '2', '2.1', '2.2', '2.3'];
    wanted.push('3', '3.1', '3.2', '3.3', '3.4', '4', '4.1', '4.2', '5', '5.1');
    expect(numbers).toEqual(expect.arrayContaining(wanted));
    const titles = HEADINGS.map((h) => h.title);
    expect(titles).toEqual(expect.arrayContaining(['Confidence labels', 'Codes certfleet emits', 'Sources']));
  });

  it('every docs/errors.md § section cited anywhere in the repository has a heading', () => {
    const have = new Set(HEADINGS.map(numberOf));
    const cited = /docs\/errors\.md,?\s*§\s*(\d+(?:\.\d+)?)((?:\s*[–/]\s*§?\s*\d+(?:\.\d+)?)*)/g;
    const bad: string[] = [];
    let count = 0;
    for (const { path, text } of repositoryFiles()) {
      for (const m of text.matchAll(cited)) {
        const numbers = [m[1] as string, ...[...(m[2] ?? '').matchAll(/\d+(?:\.\d+)?/g)].map((x) => x[0])];
        for (const n of numbers) {
          count++;
          if (!have.has(n)) bad.push(`${path}: docs/errors.md §${n}`);
        }
      }
    }
    expect(count).toBeGreaterThan(50);
    expect(bad).toEqual([]);
  });

  it('the row names the mapping tables quote (docs/errors.md §N.M "…") are in that section', () => {
    const sources = [
      ...Object.values(WINDOWS_NATIVE_TABLE).map((r) => r.source),
      ...Object.values(APPLE_CASES).map((c) => c.source),
      ...Object.values(ANDROID_NATIVE_CASES).map((c) => c.source),
    ];
    const bad: string[] = [];
    for (const s of sources) {
      for (const m of s.matchAll(/docs\/errors\.md §(\d+(?:\.\d+)?) "([^"]+)"/g)) {
        const body = byNumber(m[1] as string);
        const parts = (m[2] as string).split('…').filter((p) => p.trim() !== '');
        if (!parts.every((p) => body.includes(p))) bad.push(`§${m[1]} has no "${m[2]}"`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('§1.1 lists every SyncML status the codec knows; §1.2 every Win32/HRESULT value a device reports', () => {
    const s11 = tableRows(byNumber('1.1')).map((c) => c[0]);
    expect(Object.keys(SYNCML_STATUS_CODES).filter((code) => !s11.includes(code))).toEqual([]);
    const s12 = byNumber('1.2');
    const missing = Object.entries(WIN32)
      .filter(([name]) => name !== 'ERROR_SUCCESS')
      .filter(([name, value]) => !s12.includes(`\`${name}\``) || !s12.includes(dwordText(value)))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('§2.2 lists every Apple error of the catalogue with its meaning, Intune code and confidence', () => {
    const rows = tableRows(byNumber('2.2'));
    const bad = Object.entries(APPLE_ERRORS).flatMap(([name, e]) => {
      const row = rows.find((c) => (c[0] ?? '').includes(`\`${e.domain}\``) && c[1] === String(e.code));
      if (row === undefined) return [`${name}: no row ${e.domain} ${e.code}`];
      const intune = dwordText(intuneCodeForAppleError(e.code));
      if (row[2] !== e.meaning) return [`${name}: meaning "${row[2]}" is not "${e.meaning}"`];
      if (e.domain.startsWith('MC') && !(row[3] ?? '').startsWith(intune)) return [`${name}: not ${intune}`];
      return row[5] === e.confidence ? [] : [`${name}: confidence ${row[5]} is not ${e.confidence}`];
    });
    expect(bad).toEqual([]);
  });

  it('§3.1 and §3.2 list every AMAPI reason the codec accepts, with its description and pairing', () => {
    const r31 = new Map(tableRows(byNumber('3.1')).map((c) => [c[0], c[1]]));
    const bad = Object.entries(NON_COMPLIANCE_REASONS)
      .filter(([reason, text]) => r31.get(`\`${reason}\``) !== text)
      .map(([reason]) => reason);
    const r32 = new Map(tableRows(byNumber('3.2')).map((c) => [c[0], c[2]]));
    for (const [specific, general] of Object.entries(SPECIFIC_NON_COMPLIANCE_REASONS)) {
      if (r32.get(`\`${specific}\``) !== `\`${general}\``) bad.push(specific);
    }
    expect(bad).toEqual([]);
  });

  it('§4.1 lists every HRESULT the simulated CA answers with', () => {
    const s41 = byNumber('4.1');
    const missing = Object.values(CA_DENIALS)
      .filter((d) => !s41.includes(`\`${d.symbolic}\``) || !s41.includes(d.hresult))
      .map((d) => d.symbolic);
    expect(missing).toEqual([]);
  });
});

describe('docs/errors.md: sources', () => {
  it('defines every source tag the code’s mapping tables use', () => {
    const used = new Set(
      MAPPING_FILES.flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(TAG)]),
    );
    const undefinedTags = [...new Set([...used].map((m) => m[0]))].filter((t) => !DEFINED_TAGS.has(t));
    expect(DEFINED_TAGS.size).toBeGreaterThan(10);
    expect(undefinedTags).toEqual([]);
  });

  it('cites only public sources: no private notes, no absolute path', () => {
    const hits = [...DOC.matchAll(/\.\.\/shared|(?<![\w.])\/(?:work|home|Users|root|tmp)\/|\b[A-Z]+\.md\b/g)];
    expect(hits.map((m) => m[0])).toEqual([]);
  });
});

/** Every text file of the repository's source folders (the places that cite docs/errors.md). */
function repositoryFiles(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const rel = join(dir, name);
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (/\.(ts|js|mjs|md|yaml|yml|json)$/.test(name))
        out.push({ path: rel, text: readFileSync(join(ROOT, rel), 'utf8') });
    }
  };
  for (const dir of [
    'agent',
    'bench',
    'bin',
    'cli',
    'pki',
    'profiles',
    'scenarios',
    'simulator',
    'test',
    'docs',
  ]) {
    if (existsSync(join(ROOT, dir))) walk(dir);
  }
  if (existsSync(join(ROOT, 'README.md')))
    out.push({ path: 'README.md', text: readFileSync(join(ROOT, 'README.md'), 'utf8') });
  return out.filter((f) => f.path !== DOC_PATH);
}
