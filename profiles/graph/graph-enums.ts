/**
 * Decoding and encoding of Graph enum values: by member name or by number (docs/formats.md §4.4). Flag enums
 * (`subjectAlternativeNameType`) also accept OData's comma-separated member list ("emailAddress,userPrincipalName")
 * and a bitmask number.
 */
import type { ProfileProblem } from '../model/problem.ts';

/** Decoded member name, or a problem. `sentinels` (e.g. unknownFutureValue) are refused. */
export function decodeEnum<T extends Record<string, number>>(
  table: T,
  value: unknown,
  path: string,
  enumName: string,
  sentinels: readonly string[] = ['unknownFutureValue'],
): { ok: true; name: keyof T & string } | { ok: false; problem: ProfileProblem } {
  const members = (Object.keys(table) as (keyof T & string)[]).filter((k) => !sentinels.includes(k));
  if (typeof value === 'string' && (members as string[]).includes(value)) return { ok: true, name: value };
  if (typeof value === 'number') {
    const name = members.find((k) => table[k] === value);
    if (name !== undefined) return { ok: true, name };
  }
  const list = members.map((m) => `${m} (${table[m]})`).join(', ');
  return {
    ok: false,
    problem: {
      path,
      rule: `must be ${/^[aeiou]/i.test(enumName) ? 'an' : 'a'} ${enumName} member name or number: ${list}; got ${JSON.stringify(value)}`,
      code: 'PROFILE_INVALID',
    },
  };
}

/** Decoded flag member names (without the zero member), or a problem. */
export function decodeFlags<T extends Record<string, number>>(
  table: T,
  value: unknown,
  path: string,
  enumName: string,
): { ok: true; names: (keyof T & string)[] } | { ok: false; problem: ProfileProblem } {
  const members = Object.keys(table) as (keyof T & string)[];
  const bad = (): { ok: false; problem: ProfileProblem } => ({
    ok: false,
    problem: {
      path,
      rule: `must be ${enumName} flags: member names separated by commas (${members.join(', ')}) or their sum as a number; got ${JSON.stringify(value)}`,
      code: 'PROFILE_INVALID',
    },
  });
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) return bad();
    let rest = value;
    const names: (keyof T & string)[] = [];
    for (const m of members) {
      const bit = table[m] ?? 0;
      if (bit !== 0 && (rest & bit) === bit) {
        names.push(m);
        rest &= ~bit;
      }
    }
    return rest === 0 ? { ok: true, names } : bad();
  }
  if (typeof value === 'string') {
    const parts = value.split(',').map((p) => p.trim());
    if (parts.some((p) => !(members as string[]).includes(p))) return bad();
    return { ok: true, names: parts.filter((p) => table[p] !== 0) as (keyof T & string)[] };
  }
  return bad();
}

/** OData flags text for member names (`none` when empty). */
export function encodeFlags(names: readonly string[], zeroName: string): string {
  return names.length === 0 ? zeroName : names.join(',');
}
