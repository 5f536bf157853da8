/**
 * Every document the code cites is in the repository, and every section it cites is in that document
 * (regression issue 8: ~124 source files cited the team's notes, which a clone of the project does not
 * have). Also: no absolute path of a developer's machine, and no path to the conformance material outside
 * the one helper that finds it (test/fixtures/conformance*.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FOLDERS = [
  'agent',
  'bench',
  'bin',
  'cli',
  'docs',
  'pki',
  'profiles',
  'scenarios',
  'simulator',
  'test',
  '.ci',
];
const TOP_FILES = ['README.md', 'eslint.config.js', 'vitest.config.ts', 'package.json', 'tsconfig.json'];
const SOURCE = /\.(ts|js|mjs|yaml|yml|json|md)$|^run$/;

/** Every source and documentation file of the repository (relative paths), test files included. */
function sourceFiles(): string[] {
  const out: string[] = [...TOP_FILES];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const rel = join(dir, name);
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (SOURCE.test(name)) out.push(rel);
    }
  };
  for (const f of FOLDERS) if (existsSync(join(ROOT, f))) walk(f);
  return out;
}

const FILES = sourceFiles().map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));
const SELF = relative(ROOT, fileURLToPath(import.meta.url));
/** The helper that finds the conformance material, and its own test. */
const CONFORMANCE_HELPERS = [
  join('test', 'fixtures', 'conformance.ts'),
  join('test', 'fixtures', 'conformance-files.ts'),
  join('test', 'unit', 'conformance-own', 'conformance-helper.test.ts'),
];

/** Heading numbers of a markdown file: `## 1. Title` → "1", `### 2.3 Title` → "2.3". */
function headingNumbers(markdown: string): Set<string> {
  const numbers = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)) numbers.add(m[1] as string);
  return numbers;
}

/** Numbered items (`1. …`) of the section whose heading contains `title`. */
function numberedItems(markdown: string, title: string): Set<string> {
  const start = markdown.search(new RegExp(`^#{1,6} .*${title}`, 'im'));
  if (start < 0) return new Set();
  const rest = markdown.slice(start).split('\n').slice(1);
  const end = rest.findIndex((l) => /^#{1,2} /.test(l));
  const body = (end < 0 ? rest : rest.slice(0, end)).join('\n');
  return new Set([...body.matchAll(/^(\d+)\.\s/gm)].map((m) => m[1] as string));
}

describe('citations resolve inside the repository', () => {
  it('scans the source tree', () => {
    expect(FILES.length).toBeGreaterThan(300);
  });

  it('every .md file a source file names exists (relative to the repo or to the file)', () => {
    const missing: string[] = [];
    for (const { path, text } of FILES) {
      // A path that starts after a space, quote, bracket or backtick: `repo:path.md` (a public GitHub file)
      // and URLs never match, as they start after ':' or '/'.
      // In markdown, only link targets count: link texts and public page names are not citations.
      const pattern = path.endsWith('.md')
        ? /\]\(((?:\.{1,2}\/)*[\w-]+(?:[./][\w-]+)*\.md)(?:#[\w-]*)?\)/g
        : /(?<![\w/.:@-])((?:\.{1,2}\/)*[\w-]+(?:[./][\w-]+)*\.md)(?![\w@])/g;
      for (const m of text.matchAll(pattern)) {
        const cited = m[1] as string;
        if (existsSync(join(ROOT, cited)) || existsSync(join(ROOT, dirname(path), cited))) continue;
        missing.push(`${path}: ${cited}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every docs/*.md § section, house rule and journey cited exists', () => {
    const problems: string[] = [];
    let checked = 0;
    const citation = /docs\/([\w-]+\.md),?\s*(?:(§)\s*(\d+(?:\.\d+)*)|(house rules?|journey)\s+(\d+))/g;
    for (const { path, text } of FILES) {
      for (const m of text.matchAll(citation)) {
        const doc = join(ROOT, 'docs', m[1] as string);
        if (!existsSync(doc)) {
          problems.push(`${path}: docs/${m[1]} does not exist`);
          continue;
        }
        const markdown = readFileSync(doc, 'utf8');
        checked++;
        if (m[2] === '§') {
          if (!headingNumbers(markdown).has(m[3] as string))
            problems.push(`${path}: docs/${m[1]} has no §${m[3]}`);
        } else if (m[4]?.startsWith('house rule')) {
          if (!numberedItems(markdown, 'House rules').has(m[5] as string))
            problems.push(`${path}: docs/${m[1]} has no house rule ${m[5]}`);
        } else if (!headingNumbers(markdown).has(m[5] as string)) {
          problems.push(`${path}: docs/${m[1]} has no journey ${m[5]}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });

  it('every source tag the code cites (PFXDOC, SCEPTS, AMAPI-NET…) is defined in a docs/ Sources table', () => {
    const defined = new Set<string>();
    for (const name of readdirSync(join(ROOT, 'docs'))) {
      const md = readFileSync(join(ROOT, 'docs', name), 'utf8');
      for (const m of md.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)) {
        for (const t of (m[1] as string).split(/\s*\/\s*/)) defined.add(t);
      }
    }
    const undefinedTags = new Set<string>();
    for (const { path, text } of FILES) {
      if (path === SELF) continue;
      for (const m of text.matchAll(/\b([A-Z]{2,}DOC|PKCSTS|SCEPTS|AMAPI-[A-Z]+)\b/g)) {
        if (!defined.has(m[1] as string)) undefinedTags.add(`${path}: ${m[1]}`);
      }
    }
    expect(defined.has('PFXDOC')).toBe(true);
    expect([...undefinedTags]).toEqual([]);
  });
});

describe('no path outside the repository', () => {
  it('no absolute path of a developer machine', () => {
    const hits = FILES.flatMap(({ path, text }) =>
      path === SELF
        ? []
        : [...text.matchAll(/(?<![\w.])\/(?:work|home|Users|root)\/[\w.-]+/g)].map((m) => `${path}: ${m[0]}`),
    );
    expect(hits).toEqual([]);
  });

  it('only test/fixtures/conformance*.ts know where the conformance material is', () => {
    const hits = FILES.filter(
      ({ path, text }) =>
        path !== SELF &&
        !CONFORMANCE_HELPERS.includes(path) &&
        path.endsWith('.ts') &&
        /\.\.\/shared\b|['"`/]shared\/(corpus|schemas|docs)/.test(text),
    ).map((f) => f.path);
    expect(hits).toEqual([]);
  });
});
