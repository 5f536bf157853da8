/**
 * Checks a plist value tree against the profile key tables, as a strict device would, and turns it into
 * the typed {@link AppleProfile} model. Reports every problem (with its key path), not just the first.
 *
 * Rules (docs/formats.md §1.1–1.4; duplicate rules from docs/errors.md §2.3): the root is a `<dict>`; each key has
 * its schema type; required keys are present; rangelists hold (PayloadType `Configuration`, PayloadVersion
 * 1…); PayloadUUIDs are UUIDs; payload types are known; keys are valid on the target platform; no two
 * payloads share a PayloadIdentifier; no PayloadUUID appears twice in the profile (top level included).
 * Keys the schema does not define are only warnings: devices ignore them.
 */
import type { PlistDict, PlistLocation, PlistValue } from './plist-value.ts';
import { plistElementName } from './plist-value.ts';
import type { ApplePayloadType, ApplePlatform, AppleProfile } from './mobileconfig-types.ts';
import { KNOWN_PAYLOAD_TYPES } from './mobileconfig-types.ts';
import { COMMON_PAYLOAD_KEYS, PAYLOAD_KEYS, SECRET_KEYS, TOP_LEVEL_KEYS } from './profile-schema.ts';
import type { KeySpec, ValueSpec } from './profile-schema.ts';
import { describePath, joinIndexPath, joinKeyPath } from './problem.ts';
import type { Problem, ProblemCode, ProblemRule } from './problem.ts';

/** The outcome of {@link validateProfileTree}. */
export interface ProfileValidation {
  /** The typed profile, present only when there are no problems. */
  readonly profile?: AppleProfile;
  /** Every rule broken (empty when the profile is valid for the platform). */
  readonly problems: readonly Problem[];
  /** Things a device ignores (unknown keys, advisory values). */
  readonly warnings: readonly Problem[];
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const PLATFORM_NAME: Record<ApplePlatform, string> = { macos: 'macOS', ios: 'iOS' };

class Validator {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  readonly uuids: { path: string; value: string; loc?: PlistLocation }[] = [];
  readonly identifiers: { path: string; value: string; loc?: PlistLocation }[] = [];

  constructor(
    readonly platform: ApplePlatform,
    readonly code: ProblemCode = 'MOBILECONFIG_INVALID',
  ) {}

  report(rule: ProblemRule, path: string, message: string, loc?: PlistLocation): void {
    const target = rule === 'unknown-key' || rule === 'advisory-value' ? this.warnings : this.problems;
    target.push({ code: this.code, rule, path, message, ...(loc ?? {}) });
  }

  quote(key: string, v: PlistValue): string {
    if (SECRET_KEYS.has(key)) return '(value not shown)';
    if (v.kind === 'string')
      return JSON.stringify(v.value.length > 60 ? `${v.value.slice(0, 60)}…` : v.value);
    if (v.kind === 'integer' || v.kind === 'real' || v.kind === 'boolean') return String(v.value);
    return plistElementName(v.kind);
  }

  wrongType(path: string, expected: string, v: PlistValue): void {
    const hint =
      expected === '<data>' && v.kind === 'string'
        ? ' (base64 of the bytes inside <data>, not <string>)'
        : '';
    this.report(
      'wrong-type',
      path,
      `${describePath(path)} must be ${expected}${hint}, but is ${plistElementName(v.kind)}.`,
      v.loc,
    );
  }

  dict(
    d: PlistDict,
    keys: readonly KeySpec[],
    path: string,
    warnUnknown = true,
  ): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    let ok = true;
    const byKey = new Map(keys.map((k) => [k.key, k]));
    for (const [key, v] of d.entries) {
      const childPath = joinKeyPath(path, key);
      const spec = byKey.get(key);
      if (spec === undefined) {
        if (warnUnknown)
          this.report(
            'unknown-key',
            childPath,
            `${childPath} is not a key of this dictionary in Apple's schema; devices ignore it.`,
            v.loc,
          );
        continue;
      }
      if (!spec.platforms.includes(this.platform)) {
        this.report(
          'platform-key',
          childPath,
          `${childPath} is not valid on ${PLATFORM_NAME[this.platform]} (only ${spec.platforms.map((p) => PLATFORM_NAME[p]).join(', ')}); remove it for this platform.`,
          v.loc,
        );
        ok = false;
        continue;
      }
      const value = this.value(spec.value, v, childPath, key);
      if (value === undefined) {
        ok = false;
        continue;
      }
      if (
        spec.unsupported !== undefined &&
        !(spec.unsupported.allowedValue !== undefined && value === spec.unsupported.allowedValue)
      ) {
        this.report(
          'unsupported',
          childPath,
          `${childPath} is present, but ${spec.unsupported.why} by certfleet.`,
          v.loc,
        );
        ok = false;
        continue;
      }
      out[key] = value;
    }
    for (const spec of keys) {
      if (spec.presence === 'required' && !d.entries.has(spec.key)) {
        const childPath = joinKeyPath(path, spec.key);
        this.report('missing-key', childPath, `The required key ${childPath} is missing.`, d.loc);
        ok = false;
      }
    }
    return ok ? out : undefined;
  }

  value(spec: ValueSpec, v: PlistValue, path: string, key: string): unknown {
    switch (spec.type) {
      case 'string': {
        if (v.kind !== 'string') return this.wrongType(path, '<string>', v);
        if (spec.rangelist !== undefined && !spec.rangelist.includes(v.value)) {
          this.report(
            'bad-value',
            path,
            `${path} is ${this.quote(key, v)}; it must be one of ${spec.rangelist.map((s) => JSON.stringify(s)).join(', ')}.`,
            v.loc,
          );
          return undefined;
        }
        if (spec.format === 'uuid' && !UUID_RE.test(v.value)) {
          const what = v.value === '' ? 'is empty' : `is ${this.quote(key, v)}, not a UUID`;
          this.report(
            'bad-uuid',
            path,
            `${path} ${what}; use a UUID such as 0d198a1e-7d38-48f5-ad67-422382c1c9e7.`,
            v.loc,
          );
          return undefined;
        }
        if (spec.format === 'nonempty' && v.value.trim() === '') {
          this.report('bad-value', path, `${path} is empty; give it a reverse-DNS identifier.`, v.loc);
          return undefined;
        }
        return v.value;
      }
      case 'integer': {
        if (v.kind !== 'integer') return this.wrongType(path, '<integer>', v);
        if (spec.rangelist !== undefined && !spec.rangelist.includes(v.value)) {
          const msg = `${path} is ${v.value}; Apple's schema allows ${spec.rangelist.join(', ')}.`;
          if (spec.advisoryRangelist === true) {
            this.report(
              'advisory-value',
              path,
              `${msg} Devices are known to accept other values (Apple's own example uses 0).`,
              v.loc,
            );
          } else {
            this.report('bad-value', path, msg, v.loc);
            return undefined;
          }
        }
        return v.value;
      }
      case 'real':
      case 'boolean':
      case 'date':
      case 'data':
        if (v.kind !== spec.type) return this.wrongType(path, plistElementName(spec.type), v);
        return v.value;
      case 'array': {
        if (v.kind !== 'array') return this.wrongType(path, '<array>', v);
        if (spec.length !== undefined && v.items.length !== spec.length) {
          this.report(
            'bad-value',
            path,
            `${path} must hold exactly ${spec.length} items; it holds ${v.items.length}.`,
            v.loc,
          );
          return undefined;
        }
        const items = v.items.map((item, i) => this.value(spec.items, item, joinIndexPath(path, i), key));
        return items.includes(undefined) ? undefined : items;
      }
      case 'dict':
        if (v.kind !== 'dict') return this.wrongType(path, '<dict>', v);
        return this.dict(v, spec.keys, path);
      case 'string-map': {
        if (v.kind !== 'dict') return this.wrongType(path, '<dict>', v);
        const out: Record<string, string> = {};
        let ok = true;
        for (const [k, item] of v.entries) {
          if (item.kind !== 'string') {
            this.wrongType(joinKeyPath(path, k), '<string>', item);
            ok = false;
          } else out[k] = item.value;
        }
        return ok ? out : undefined;
      }
      case 'string-or-strings': {
        if (v.kind === 'string') return v.value;
        if (v.kind !== 'array') return this.wrongType(path, '<string> or <array> of <string>', v);
        const items = v.items.map((item, i) =>
          this.value({ type: 'string' }, item, joinIndexPath(path, i), key),
        );
        return items.includes(undefined) ? undefined : items;
      }
      case 'payloads': {
        if (v.kind !== 'array') return this.wrongType(path, '<array> of payload <dict>s', v);
        const items = v.items.map((item, i) => this.payload(item, joinIndexPath(path, i)));
        return items.includes(undefined) ? undefined : items;
      }
    }
  }

  payload(v: PlistValue, path: string): unknown {
    if (v.kind !== 'dict') return this.wrongType(path, '<dict>', v);
    this.remember(v, path);
    const typeNode = v.entries.get('PayloadType');
    const type = typeNode?.kind === 'string' ? typeNode.value : undefined;
    if (type !== undefined && !(KNOWN_PAYLOAD_TYPES as readonly string[]).includes(type)) {
      this.report(
        'unknown-payload-type',
        joinKeyPath(path, 'PayloadType'),
        `${joinKeyPath(path, 'PayloadType')} ${JSON.stringify(type)} is not a payload type certfleet knows (${KNOWN_PAYLOAD_TYPES.join(', ')}).`,
        typeNode?.loc,
      );
      this.dict(v, COMMON_PAYLOAD_KEYS, path, false);
      return undefined;
    }
    const specific = type === undefined ? [] : PAYLOAD_KEYS[type as ApplePayloadType];
    return this.dict(v, [...COMMON_PAYLOAD_KEYS, ...specific], path, type !== undefined);
  }

  remember(d: PlistDict, path: string): void {
    const uuid = d.entries.get('PayloadUUID');
    if (uuid?.kind === 'string' && uuid.value !== '') {
      this.uuids.push({
        path: joinKeyPath(path, 'PayloadUUID'),
        value: uuid.value.toUpperCase(),
        ...(uuid.loc === undefined ? {} : { loc: uuid.loc }),
      });
    }
    const id = d.entries.get('PayloadIdentifier');
    if (path !== '' && id?.kind === 'string' && id.value !== '') {
      this.identifiers.push({
        path: joinKeyPath(path, 'PayloadIdentifier'),
        value: id.value,
        ...(id.loc === undefined ? {} : { loc: id.loc }),
      });
    }
  }

  duplicates(): void {
    const check = (
      list: typeof this.uuids,
      rule: 'duplicate-uuid' | 'duplicate-identifier',
      what: string,
    ): void => {
      const first = new Map<string, string>();
      for (const { path, value, loc } of list) {
        const earlier = first.get(value);
        if (earlier === undefined) first.set(value, path);
        else
          this.report(
            rule,
            path,
            `${path} ${JSON.stringify(value)} is used more than once in the profile (also at ${earlier}); each ${what} must be unique.`,
            loc,
          );
      }
    };
    check(this.uuids, 'duplicate-uuid', 'PayloadUUID');
    check(this.identifiers, 'duplicate-identifier', 'payload PayloadIdentifier');
  }
}

/**
 * Validates a plist value tree as a `.mobileconfig` for `platform` and converts it to the typed model.
 * Pure; never throws for bad input.
 */
export function validateProfileTree(root: PlistValue, platform: ApplePlatform): ProfileValidation {
  const v = new Validator(platform);
  if (root.kind !== 'dict') {
    v.report(
      'wrong-type',
      '',
      `The document must be a <dict> (the profile), but its root is ${plistElementName(root.kind)}.`,
      root.loc,
    );
    return { problems: v.problems, warnings: v.warnings };
  }
  v.remember(root, '');
  const profile = v.dict(root, TOP_LEVEL_KEYS, '');
  v.duplicates();
  if (v.problems.length > 0 || profile === undefined) return { problems: v.problems, warnings: v.warnings };
  return { profile: profile as unknown as AppleProfile, problems: [], warnings: v.warnings };
}

/** The outcome of {@link validateDictTree}. */
export interface DictValidation {
  /** The plain object (plist keys as property names), present only when there are no problems. */
  readonly value?: Record<string, unknown>;
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
}

/**
 * Validates any plist `<dict>` against a key table (types, presence, rangelists, platform) and converts it
 * to a plain object; problems carry `code`. Used for messages other than profiles (MDM command responses).
 */
export function validateDictTree(
  root: PlistValue,
  keys: readonly KeySpec[],
  platform: ApplePlatform,
  code: ProblemCode,
): DictValidation {
  const v = new Validator(platform, code);
  if (root.kind !== 'dict') {
    v.report(
      'wrong-type',
      '',
      `The document must be a <dict>, but its root is ${plistElementName(root.kind)}.`,
      root.loc,
    );
    return { problems: v.problems, warnings: v.warnings };
  }
  const value = v.dict(root, keys, '');
  if (v.problems.length > 0 || value === undefined) return { problems: v.problems, warnings: v.warnings };
  return { value, problems: [], warnings: v.warnings };
}
