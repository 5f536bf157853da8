/**
 * The `expect:` section: what QA writes down about a run. Each expectation selects device × profile rows
 * (`where` + `profile`), says what each row must show (`status`, `code`, `messageContains`, `renewals`),
 * and how many rows must show it (`share`, default all; or `count`).
 */
import type { OutcomeCode } from '../../protocol/wire/outcome.ts';
import type { Ownership } from '../../agent/device/device.ts';
import { ERROR_CODES } from '../../pki/errors.ts';
import { ALL_ENROLLMENT_KINDS, PLATFORMS } from '../../profiles/model/platform.ts';
import type { RunStatus } from '../run-model.ts';
import type { At, Checker } from './checker.ts';
import { checkKinds, readWords, unknownProfile } from './selectors.ts';
import type { Expectation, NumberCheck, RowFilter } from './types.ts';
import { parseVersionFilter, type VersionFilter } from './versions.ts';

/** Every code an outcome can carry. */
export const OUTCOME_CODES: readonly OutcomeCode[] = [
  'OK',
  'UNCHANGED',
  ...(Object.keys(ERROR_CODES) as OutcomeCode[]),
];
const STATUSES: readonly RunStatus[] = ['installed', 'failed', 'pending', 'skipped', 'not-applicable'];
const KEYS = [
  'text',
  'where',
  'profile',
  'status',
  'code',
  'messageContains',
  'renewals',
  'trusted',
  'share',
  'count',
] as const;
const WHERE_KEYS = ['platform', 'kind', 'ownership', 'osVersion', 'enrolledOsVersion', 'tags'] as const;
const OWNERSHIPS: readonly Ownership[] = ['corporate', 'personal'];
const ALL: NumberCheck = { op: '>=', value: 1, text: 'all' };
const NONE: NumberCheck = { op: '<=', value: 0, text: 'none' };

/** Reads `expect:` against the scenario's profile names. */
export function readExpectations(
  c: Checker,
  at: At | undefined,
  profileNames: readonly string[],
): Expectation[] | undefined {
  if (at === undefined) return [];
  const before = c.problems.length;
  const out: Expectation[] = [];
  for (const item of c.list(at) ?? []) {
    const e = readExpectation(c, item, profileNames);
    if (e !== undefined) out.push(e);
  }
  return c.problems.length > before ? undefined : out;
}

function readExpectation(c: Checker, at: At, profileNames: readonly string[]): Expectation | undefined {
  const map = c.map(at, 'a map with text and checks (status, code, messageContains, renewals)');
  if (map === undefined) return undefined;
  const before = c.problems.length;
  c.keys(map, KEYS, ['text']);
  const text = c.string(c.get(map, 'text'), true);
  const where = readWhere(c, c.get(map, 'where'));
  const profileAt = c.get(map, 'profile');
  const profile = profileAt === undefined ? undefined : c.string(profileAt, true);
  if (profile !== undefined && !profileNames.includes(profile))
    unknownProfile(c, profileAt!, profile, profileNames);
  const statusAt = c.get(map, 'status');
  const status = statusAt && c.oneOf(statusAt, STATUSES, 'status');
  const codeAt = c.get(map, 'code');
  const code = codeAt && c.oneOf(codeAt, OUTCOME_CODES, 'outcome code');
  const containsAt = c.get(map, 'messageContains');
  const messageContains = containsAt && c.string(containsAt, true);
  const renewalsAt = c.get(map, 'renewals');
  const renewals = renewalsAt && c.check(renewalsAt, { percent: false });
  const trustedAt = c.get(map, 'trusted');
  const trusted = trustedAt && c.boolean(trustedAt);
  if (
    statusAt === undefined &&
    codeAt === undefined &&
    containsAt === undefined &&
    renewalsAt === undefined &&
    trustedAt === undefined
  ) {
    c.add(map.node.pos, map.path, 'checks nothing: add status, code, messageContains, renewals or trusted');
  }
  const shareAt = c.get(map, 'share');
  const countAt = c.get(map, 'count');
  if (shareAt !== undefined && countAt !== undefined)
    c.add(countAt.node.pos, countAt.path, 'give share or count, not both');
  let quantity: Expectation['quantity'] | undefined = { type: 'share', check: ALL };
  if (shareAt !== undefined) {
    const check = c.check(shareAt, { percent: true, words: { all: ALL, none: NONE } });
    if (check !== undefined && (check.value < 0 || check.value > 1)) {
      c.add(shareAt.node.pos, shareAt.path, 'a share is between 0 and 1 (use count for a number of devices)');
    }
    quantity = check && { type: 'share', check };
  } else if (countAt !== undefined) {
    const check = c.check(countAt, { percent: false, words: { none: { op: '=', value: 0, text: 'none' } } });
    quantity = check && { type: 'count', check };
  }
  if (c.problems.length > before || text === undefined || where === undefined || quantity === undefined)
    return undefined;
  return {
    text,
    where,
    ...(profile !== undefined && { profile }),
    ...(status !== undefined && { status }),
    ...(code !== undefined && { code }),
    ...(messageContains !== undefined && { messageContains }),
    ...(renewals !== undefined && { renewals }),
    ...(trusted !== undefined && { trusted }),
    quantity,
    line: map.node.pos.line,
  };
}

function readVersion(c: Checker, at: At | undefined): VersionFilter | undefined {
  const v = c.scalar(at, 'a version filter such as ">=12"');
  if (at === undefined || v === undefined) return undefined;
  const f = typeof v === 'string' || typeof v === 'number' ? parseVersionFilter(v) : undefined;
  if (f === undefined)
    return c.add(
      at.node.pos,
      at.path,
      `'${String(v)}' is not a version filter: write e.g. ">=12", "<17", "14"`,
    );
  return f;
}

function readWhere(c: Checker, at: At | undefined): RowFilter | undefined {
  if (at === undefined) return {};
  const map = c.map(at, 'a map with platform, kind, ownership, osVersion, enrolledOsVersion, tags');
  if (map === undefined) return undefined;
  const before = c.problems.length;
  c.keys(map, WHERE_KEYS);
  const platform = readWords(c, c.get(map, 'platform'), PLATFORMS, 'platform');
  const kindAt = c.get(map, 'kind');
  const kind = readWords(c, kindAt, ALL_ENROLLMENT_KINDS, 'enrollment kind');
  checkKinds(c, kindAt, kind, platform);
  const ownership = readWords(c, c.get(map, 'ownership'), OWNERSHIPS, 'ownership');
  const osVersion = readVersion(c, c.get(map, 'osVersion'));
  const enrolledOsVersion = readVersion(c, c.get(map, 'enrolledOsVersion'));
  const tags = readWords<string>(c, c.get(map, 'tags'), undefined, 'tag');
  if (c.problems.length > before) return undefined;
  return {
    ...(platform && { platform }),
    ...(kind && { kind }),
    ...(ownership && { ownership }),
    ...(osVersion && { osVersion }),
    ...(enrolledOsVersion && { enrolledOsVersion }),
    ...(tags && { tags }),
  };
}
