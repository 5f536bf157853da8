/**
 * OS version filters: `">=12"`, `"<17.4"`, `"14"` (that version and its minor releases), `"=10.0.22631.4037"`.
 *
 * Versions compare component by component as numbers (`17.10` > `17.9`). A filter's missing components
 * match anything: `"14"` is every `14.x`; `">=17"` admits `17.0.1`.
 *
 * Windows reports `10.0.<build>.<qfe>` for both Windows 10 and 11 (DevDetail `SwV`, docs/formats.md §2.6). A
 * one-component Windows filter therefore compares the marketing major instead: build 22000 and later is
 * Windows 11 (Microsoft: Windows 11 original release is build 22000), earlier is Windows 10. So
 * `">=11"` selects Windows 11 devices and `"10.0.26100"` selects 24H2.
 */
import type { Platform } from '../../profiles/model/platform.ts';

/** A comparison operator of a version filter. */
export type VersionOp = '>=' | '>' | '<=' | '<' | '=';

/** A parsed version filter. */
export interface VersionFilter {
  op: VersionOp;
  /** Numeric components of the version after the operator. */
  parts: number[];
  /** The text as written. */
  text: string;
}

const FILTER = /^\s*(>=|<=|==|=|>|<)?\s*(\d+(?:\.\d+)*)\s*$/;

/** Parses `">=12"`, `"17.4"`, `"<= 10.0.22631"`; undefined when it is not a version filter. */
export function parseVersionFilter(text: string | number): VersionFilter | undefined {
  const m = FILTER.exec(String(text));
  if (m === null) return undefined;
  const op = (m[1] === '==' ? '=' : (m[1] ?? '=')) as VersionOp;
  return { op, parts: m[2]!.split('.').map(Number), text: String(text).trim() };
}

/** Numeric components of a version string (`10.0.22631.4037` → [10, 0, 22631, 4037]). Non-numeric tails are dropped. */
export function versionParts(version: string): number[] {
  const out: number[] = [];
  for (const p of version.split('.')) {
    const m = /^\d+/.exec(p);
    if (m === null) break;
    out.push(Number(m[0]));
  }
  return out;
}

/** Windows 10 or 11 from a `10.0.<build>` version (build ≥ 22000 is Windows 11). */
export function windowsMajor(version: string): number {
  const parts = versionParts(version);
  if (parts[0] !== 10) return parts[0] ?? Number.NaN;
  return (parts[2] ?? 0) >= 22000 ? 11 : 10;
}

/** -1, 0 or 1 comparing `v` with `filter` over the filter's components only. */
function compare(v: readonly number[], filter: readonly number[]): number {
  for (let i = 0; i < filter.length; i++) {
    const a = v[i] ?? 0;
    const b = filter[i]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** True when `version` (as `platform` reports it) passes `filter`. */
export function versionMatches(platform: Platform, version: string, filter: VersionFilter): boolean {
  const parts =
    platform === 'windows' && filter.parts.length === 1 ? [windowsMajor(version)] : versionParts(version);
  if (parts.length === 0 || Number.isNaN(parts[0])) return false;
  const c = compare(parts, filter.parts);
  switch (filter.op) {
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    case '<':
      return c < 0;
    case '=':
      return c === 0;
  }
}
