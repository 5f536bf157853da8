/**
 * Certificate validity periods as scenario files write them: `1y`, `6mo`, `30d`, `2w`, or `{value, unit}`
 * with the unit spelled out (`days`, `weeks`, `months`, `years`). Profiles take days, months or years
 * (Graph `certificateValidityPeriodScale`, docs/formats.md §4.4); templates also weeks (template console).
 */
import type { ValidityPeriod as TemplateValidity } from '../service/ca/template.ts';
import type { At, Checker } from './checker.ts';

type Unit = TemplateValidity['unit'];
const SHORT: Record<string, Unit> = {
  d: 'days',
  day: 'days',
  days: 'days',
  w: 'weeks',
  week: 'weeks',
  weeks: 'weeks',
  mo: 'months',
  month: 'months',
  months: 'months',
  y: 'years',
  year: 'years',
  years: 'years',
};

/** Parses `1y` / `30 days` / `6mo`; undefined when it is not a validity. */
export function parseValidity(text: string): { value: number; unit: Unit } | undefined {
  const m = /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(text);
  const unit = m?.[2] === undefined ? undefined : SHORT[m[2].toLowerCase()];
  return m === null || unit === undefined ? undefined : { value: Number(m[1]), unit };
}

function read(c: Checker, at: At, units: readonly Unit[]): { value: number; unit: Unit } | undefined {
  const hint = `a period such as 1y, 6mo, 30d or {value: 30, unit: days} (units: ${units.join(', ')})`;
  let v: { value: number; unit: Unit } | undefined;
  if (at.node.type === 'map') {
    const map = c.map(at)!;
    c.keys(map, ['value', 'unit'], ['value', 'unit']);
    const value = c.number(c.get(map, 'value'), 1, 10_000, true);
    const unitAt = c.get(map, 'unit');
    const unitText = c.string(unitAt);
    const unit = unitText === undefined ? undefined : SHORT[unitText];
    if (unitText !== undefined && (unit === undefined || !units.includes(unit))) {
      return c.add(unitAt!.node.pos, unitAt!.path, `must be one of ${units.join(', ')}`);
    }
    if (value === undefined || unit === undefined) return undefined;
    v = { value, unit };
  } else {
    const s = c.scalar(at, hint);
    if (s === undefined) return undefined;
    v = typeof s === 'string' ? parseValidity(s) : undefined;
    if (v === undefined || !units.includes(v.unit))
      return c.add(at.node.pos, at.path, `'${String(s)}' is not ${hint}`);
  }
  if (v.value < 1) return c.add(at.node.pos, at.path, 'must be at least 1');
  return v;
}

/** A template validity (days, weeks, months, years). */
export function readTemplateValidity(c: Checker, at: At): TemplateValidity | undefined {
  return read(c, at, ['days', 'weeks', 'months', 'years']);
}

/** A profile validity (days, months, years); range checks are the profile model's. */
export function readProfileValidity(
  c: Checker,
  at: At,
): { value: number; unit: 'days' | 'months' | 'years' } | undefined {
  return read(c, at, ['days', 'months', 'years']) as
    { value: number; unit: 'days' | 'months' | 'years' } | undefined;
}
