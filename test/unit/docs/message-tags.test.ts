/**
 * Messages are for people (issue 13 point 3): the source tags of docs/errors.md and docs/formats.md
 * ("(PFXDOC, SCEPDOC)", "(FLEET)", "DEVDETAIL …") belong in code comments and `source` fields, never in a
 * string that can reach a message, a warning or a report. This test reads every string literal of the
 * product code with the TypeScript parser and refuses one that cites a tag, except as the value of a
 * `source`, `sources` or `note` property. (test/e2e/issue13-cli.test.ts checks a real run’s output too.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { sourceTags, tagCitations } from '../../fixtures/source-tags.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LAYERS = ['cli', 'simulator', 'agent', 'protocol', 'profiles', 'pki'];
/** Properties whose strings cite sources on purpose (tables' `source` columns). */
const CITATION_PROPERTIES = new Set(['source', 'sources', 'note']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function literalText(n: ts.Node): string | undefined {
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return n.text;
  if (ts.isTemplateExpression(n))
    return n.head.text + n.templateSpans.map((s) => `\${…}${s.literal.text}`).join('');
  return undefined;
}

/** The property a string is (part of) the value of, through `+` and parentheses. */
function propertyOf(n: ts.Node): string | undefined {
  let p = n.parent;
  while (p !== undefined && (ts.isBinaryExpression(p) || ts.isParenthesizedExpression(p))) p = p.parent;
  return p !== undefined && ts.isPropertyAssignment(p) ? p.name.getText() : undefined;
}

describe('regression issue 13: no source tags in messages', () => {
  const tags = sourceTags();

  it('reads the tags from the docs (guards the scan itself)', () => {
    for (const t of ['PFXDOC', 'SCEPDOC', 'TRUSTDOC', 'FLEET', 'DEVDETAIL', 'S1', 'G1'])
      expect(tags).toContain(t);
    expect(tagCitations('but (PFXDOC, SCEPDOC) says', tags)).toEqual([
      '(PFXDOC, SCEPDOC)',
      'PFXDOC',
      'SCEPDOC',
    ]);
    expect(tagCitations('no radio stack (DEVDETAIL RadioSwV; inferred)', tags)).toContain('DEVDETAIL');
    expect(tagCitations('a MAC (AA:A1:02) and (KeyLocation 3)', tags)).toEqual([]);
  });

  it('no string literal of cli/, simulator/, agent/, protocol/, profiles/ or pki/ cites one outside a source field', () => {
    const found: string[] = [];
    let strings = 0;
    for (const layer of LAYERS) {
      for (const file of tsFiles(join(ROOT, layer))) {
        const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
        const visit = (n: ts.Node): void => {
          const text = literalText(n);
          if (text === undefined) return ts.forEachChild(n, visit);
          strings += 1;
          if (CITATION_PROPERTIES.has(propertyOf(n) ?? '')) return;
          for (const hit of tagCitations(text, tags)) {
            const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
            found.push(`${file.slice(ROOT.length)}:${line + 1}: ${hit}`);
          }
        };
        visit(sf);
      }
    }
    expect(strings).toBeGreaterThan(1000);
    expect(found).toEqual([]);
  });
});
