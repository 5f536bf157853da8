/**
 * Lexing of subject/SAN templates: static text and `{{Variable}}` references.
 * Rules (SCEPDOC "Subject name format" / "Subject alternative name" notes; docs/formats.md §5.2 "Curly braces"):
 * variables use double braces `{{ }}`; single braces are an error; `{ } | ;` must not follow a variable.
 * certfleet reads "the text that follows the variable" as: a brace immediately after `}}`, or a `|`/`;`
 * anywhere in the static text between that variable and the next one.
 */
import type { ProfileProblem } from '../model/problem.ts';

/** A piece of a template. `start` is the 0-based character offset. */
export type TemplateToken =
  | { kind: 'text'; value: string; start: number }
  | { kind: 'variable'; raw: string; name: string; start: number };

/** Tokens plus the syntax problems found (all TEMPLATE_MALFORMED). */
export interface LexedTemplate {
  tokens: TemplateToken[];
  problems: ProfileProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits a template into text and variables, reporting every syntax problem at `path`. */
export function lexTemplate(template: string, path: string): LexedTemplate {
  const tokens: TemplateToken[] = [];
  const problems: ProfileProblem[] = [];
  const bad = (rule: string): void => {
    problems.push({ path, rule, code: 'TEMPLATE_MALFORMED' });
  };
  let text = '';
  let textStart = 0;
  let i = 0;
  const flushText = (): void => {
    if (text !== '') tokens.push({ kind: 'text', value: text, start: textStart });
    text = '';
  };
  while (i < template.length) {
    if (template.startsWith('{{', i)) {
      const close = template.indexOf('}}', i + 2);
      if (close < 0) {
        bad(`has "{{" at character ${i + 1} with no closing "}}"`);
        break;
      }
      const name = template.slice(i + 2, close);
      const raw = template.slice(i, close + 2);
      if (!NAME.test(name)) {
        bad(
          `has "${raw}" at character ${i + 1}, which is not a variable: write the name between double braces, e.g. {{IMEI}}`,
        );
      }
      flushText();
      tokens.push({ kind: 'variable', raw, name, start: i });
      i = close + 2;
      textStart = i;
      continue;
    }
    const ch = template[i] ?? '';
    const prev = tokens.at(-1);
    const rightAfterVariable = text === '' && prev?.kind === 'variable';
    if (ch === '{' || ch === '}') {
      if (rightAfterVariable) {
        bad(`has "${ch}" right after ${prev.raw} (character ${i + 1}): do not put { } | ; after a variable`);
      } else {
        bad(`has a single brace "${ch}" at character ${i + 1}: variables use double braces, e.g. {{IMEI}}`);
      }
    } else if ((ch === '|' || ch === ';') && lastVariable(tokens) !== undefined) {
      bad(
        `has "${ch}" at character ${i + 1} in the text after ${lastVariable(tokens)?.raw}: do not put { } | ; after a variable`,
      );
    }
    if (text === '') textStart = i;
    text += ch;
    i += 1;
  }
  if (i < template.length) {
    if (text === '') textStart = i;
    text += template.slice(i);
  }
  flushText();
  return { tokens, problems };
}

function lastVariable(
  tokens: readonly TemplateToken[],
): Extract<TemplateToken, { kind: 'variable' }> | undefined {
  for (let k = tokens.length - 1; k >= 0; k -= 1) {
    const t = tokens[k];
    if (t?.kind === 'variable') return t;
  }
  return undefined;
}
