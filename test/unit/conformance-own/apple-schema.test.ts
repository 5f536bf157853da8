/**
 * The project-made counterpart of the conformance test test/unit/apple/profile-schema.test.ts (which checks
 * the key tables of profiles/apple/profile-schema.ts against Apple's schema YAML): here payloads written from
 * those tables are checked by the codec against the same tables. A profile carrying every key a platform
 * allows decodes cleanly; each key of the wrong type, each required key left out, each value outside its
 * rangelist, each key of the other platform and each unsupported key is one problem, at its key path.
 */
import { describe, expect, it } from 'vitest';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import {
  APPLE_PLATFORMS,
  KNOWN_PAYLOAD_TYPES,
  type ApplePayloadType,
  type ApplePlatform,
} from '../../../profiles/apple/mobileconfig-types.ts';
import {
  COMMON_PAYLOAD_KEYS,
  PAYLOAD_KEYS,
  SCEP_CONTENT_KEYS,
  TOP_LEVEL_KEYS,
  type KeySpec,
  type ValueSpec,
} from '../../../profiles/apple/profile-schema.ts';
import { array, bool, data, dict, int, plist, str, uuidOf, type Entry } from './samples.ts';

/** A valid value element for `spec` (the first rangelist value, a UUID, a non-empty string…). */
function valid(spec: ValueSpec, key: string): string {
  switch (spec.type) {
    case 'string':
      if (spec.rangelist) return str(spec.rangelist[0]!);
      return str(spec.format === 'uuid' ? uuidOf(key) : `own ${key}`);
    case 'integer':
      return int(spec.rangelist ? spec.rangelist[0]! : 3);
    case 'real':
      return '<real>86400.5</real>';
    case 'boolean':
      return bool(true);
    case 'date':
      return '<date>2031-01-31T12:00:00Z</date>';
    case 'data':
      return data(Buffer.from(`bytes of ${key}`));
    case 'array':
      return array(Array.from({ length: spec.length ?? 1 }, () => valid(spec.items, key)));
    case 'dict':
      return dict(spec.keys.map((k): Entry => [k.key, valid(k.value, k.key)]));
    case 'string-map':
      return dict([['default', str('Own consent text')]]);
    case 'string-or-strings':
      return str(`own ${key}`);
    case 'payloads':
      throw new Error('payloads are built by the test');
  }
}

/** An element of another plist type than `spec` wants. */
const wrong = (spec: ValueSpec): string =>
  spec.type === 'string' || spec.type === 'string-or-strings' ? int(7) : str('not the right type');

/** A value outside the (non-advisory) rangelist of `spec`, if it has one. */
function outside(spec: ValueSpec): string | undefined {
  if (spec.type === 'string' && spec.rangelist) return str('NotInTheRangelist');
  if (spec.type === 'integer' && spec.rangelist) return int(Math.max(...spec.rangelist) + 1000);
  return undefined;
}

/** The keys `platform` allows and certfleet simulates, each with a valid value (an allowed unsupported value). */
function entriesOf(keys: readonly KeySpec[], platform: ApplePlatform, own: Record<string, string>): Entry[] {
  return keys
    .filter((k) => k.platforms.includes(platform))
    .filter((k) => k.unsupported === undefined || k.unsupported.allowedValue !== undefined)
    .map((k): Entry => [
      k.key,
      own[k.key] ??
        (k.unsupported?.allowedValue !== undefined
          ? bool(k.unsupported.allowedValue)
          : valid(k.value, k.key)),
    ]);
}

/** A payload of `type` with every key `platform` allows. */
function fullPayload(type: ApplePayloadType, platform: ApplePlatform, n: number): Entry[] {
  const name = type.split('.').pop()!;
  return [
    ...entriesOf(COMMON_PAYLOAD_KEYS, platform, {
      PayloadType: str(type),
      PayloadIdentifier: str(`com.example.certfleet.own-schema.${name}`),
      PayloadUUID: str(uuidOf(`schema payload ${String(n)}`)),
    }),
    ...entriesOf(PAYLOAD_KEYS[type], platform, {}),
  ];
}

/** The top-level entries (every key `platform` allows) around `payloads`. */
function fullTop(platform: ApplePlatform, payloads: Entry[][]): Entry[] {
  return entriesOf(TOP_LEVEL_KEYS, platform, {
    PayloadContent: array(payloads.map((p) => dict(p))),
    PayloadUUID: str(uuidOf('schema profile')),
  });
}

/** Replaces (or with `element` undefined, removes) `key` in `entries`; adds it when absent. */
function edit(entries: Entry[], key: string, element: string | undefined): Entry[] {
  const out = entries.filter(([k]) => k !== key);
  return element === undefined ? out : [...out, [key, element]];
}

const decode = (top: Entry[], platform: ApplePlatform) => decodeMobileconfig(plist(dict(top)), { platform });
const findings = (r: ReturnType<typeof decode>): [string, string][] =>
  r.ok ? [] : r.problems.map((p) => [p.rule, p.path]);

describe.each(APPLE_PLATFORMS)('payloads written from the key tables, on %s', (platform) => {
  const other = APPLE_PLATFORMS.find((p) => p !== platform)!;

  it('a profile with one payload of each type and every key the platform allows decodes cleanly', () => {
    const payloads = KNOWN_PAYLOAD_TYPES.map((t, n) => fullPayload(t, platform, n));
    const r = decode(fullTop(platform, payloads), platform);
    expect(r.ok ? [] : r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    if (!r.ok) return;
    expect(r.profile.PayloadContent.map((p) => p.PayloadType)).toEqual([...KNOWN_PAYLOAD_TYPES]);
    // every key written came back (the typed model keeps each key it knows)
    for (const [n, p] of payloads.entries())
      expect(Object.keys(r.profile.PayloadContent[n]!).sort()).toEqual(p.map(([k]) => k).sort());
  });

  describe.each(KNOWN_PAYLOAD_TYPES)('%s', (type) => {
    const base = (): Entry[] => fullPayload(type, platform, 0);
    const inProfile = (payload: Entry[]) => decode(fullTop(platform, [payload]), platform);
    const keys = [...COMMON_PAYLOAD_KEYS, ...PAYLOAD_KEYS[type]].filter(
      (k) => k.platforms.includes(platform) && k.key !== 'PayloadType' && k.unsupported === undefined,
    );

    it.each(keys.map((k) => [k.key, k] as const))(
      '%s of the wrong type: wrong-type at its path',
      (key, k) => {
        expect(findings(inProfile(edit(base(), key, wrong(k.value))))).toEqual([
          ['wrong-type', `PayloadContent[0].${key}`],
        ]);
      },
    );

    const required = keys.filter((k) => k.presence === 'required');
    it.each(required.map((k) => [k.key] as const))('%s left out: missing-key at its path', (key) => {
      expect(findings(inProfile(edit(base(), key, undefined)))).toEqual([
        ['missing-key', `PayloadContent[0].${key}`],
      ]);
    });

    const ranged = keys.filter((k) => outside(k.value) !== undefined);
    it.each(ranged.map((k) => [k.key, k] as const))(
      '%s outside its rangelist: bad-value at its path',
      (key, k) => {
        expect(findings(inProfile(edit(base(), key, outside(k.value))))).toEqual([
          ['bad-value', `PayloadContent[0].${key}`],
        ]);
      },
    );

    const foreign = PAYLOAD_KEYS[type].filter((k) => !k.platforms.includes(platform));
    it.each(foreign.map((k) => [k.key, k] as const))(
      `%s (valid on ${other} only): platform-key at its path`,
      (key, k) => {
        expect(findings(inProfile(edit(base(), key, valid(k.value, key))))).toEqual([
          ['platform-key', `PayloadContent[0].${key}`],
        ]);
      },
    );

    it('a key the table does not have is only a warning (unknown-key)', () => {
      const r = inProfile(edit(base(), 'OwnInventedKey', str('x')));
      expect(findings(r)).toEqual([]);
      expect(r.warnings.map((w) => [w.rule, w.path])).toEqual([
        ['unknown-key', 'PayloadContent[0].OwnInventedKey'],
      ]);
    });
  });

  describe('the SCEP PayloadContent dictionary', () => {
    const scep = (content: Entry[]) =>
      decode(
        fullTop(platform, [
          edit(fullPayload('com.apple.security.scep', platform, 0), 'PayloadContent', dict(content)),
        ]),
        platform,
      );
    const base = (): Entry[] => entriesOf(SCEP_CONTENT_KEYS, platform, {});
    // a key with a space is written in brackets: PayloadContent[0].PayloadContent["Key Usage"]
    const at = (key: string) =>
      `PayloadContent[0].PayloadContent${/^\w+$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;

    it.each(SCEP_CONTENT_KEYS.map((k) => [k.key, k] as const))(
      '%s of the wrong type: wrong-type',
      (key, k) => {
        expect(findings(scep(edit(base(), key, wrong(k.value))))).toEqual([['wrong-type', at(key)]]);
      },
    );

    it.each(SCEP_CONTENT_KEYS.filter((k) => k.presence === 'required').map((k) => [k.key] as const))(
      '%s left out: missing-key',
      (key) => {
        expect(findings(scep(edit(base(), key, undefined)))).toEqual([['missing-key', at(key)]]);
      },
    );

    it('Keysize outside its advisory rangelist is a warning (advisory-value), not a problem', () => {
      const r = scep(edit(base(), 'Keysize', int(3072)));
      expect(findings(r)).toEqual([]);
      expect(r.warnings.map((w) => [w.rule, w.path])).toEqual([['advisory-value', at('Keysize')]]);
    });
  });

  describe('top level', () => {
    const payloads = () => [fullPayload('com.apple.security.root', platform, 0)];
    const base = (): Entry[] => fullTop(platform, payloads());
    const keys = TOP_LEVEL_KEYS.filter((k) => k.platforms.includes(platform) && k.unsupported === undefined);

    it.each(keys.map((k) => [k.key, k] as const))(
      '%s of the wrong type: wrong-type at its path',
      (key, k) => {
        expect(findings(decode(edit(base(), key, wrong(k.value)), platform))).toEqual([['wrong-type', key]]);
      },
    );

    it.each(keys.filter((k) => k.presence === 'required').map((k) => [k.key] as const))(
      '%s left out: missing-key',
      (key) => {
        expect(findings(decode(edit(base(), key, undefined), platform))).toEqual([['missing-key', key]]);
      },
    );

    it.each(keys.filter((k) => outside(k.value) !== undefined).map((k) => [k.key, k] as const))(
      '%s outside its rangelist: bad-value',
      (key, k) => {
        expect(findings(decode(edit(base(), key, outside(k.value)), platform))).toEqual([['bad-value', key]]);
      },
    );

    it.each(TOP_LEVEL_KEYS.filter((k) => !k.platforms.includes(platform)).map((k) => [k.key, k] as const))(
      `%s (valid on ${other} only): platform-key`,
      (key, k) => {
        expect(findings(decode(edit(base(), key, valid(k.value, key)), platform))).toEqual([
          ['platform-key', key],
        ]);
      },
    );

    it.each(TOP_LEVEL_KEYS.filter((k) => k.unsupported !== undefined).map((k) => [k.key, k] as const))(
      '%s with a value certfleet does not simulate: unsupported',
      (key, k) => {
        const element =
          k.value.type === 'boolean' ? bool(!(k.unsupported?.allowedValue ?? false)) : valid(k.value, key);
        expect(findings(decode(edit(base(), key, element), platform))).toEqual([['unsupported', key]]);
      },
    );
  });
});

describe('facts of the key tables the tests above rely on (so an emptied table cannot pass)', () => {
  const keysOf = (keys: readonly KeySpec[]) => keys.map((k) => k.key);
  it('every certificate payload requires PayloadContent as <data>; SCEP as a <dict>', () => {
    for (const t of KNOWN_PAYLOAD_TYPES) {
      const c = PAYLOAD_KEYS[t].find((k) => k.key === 'PayloadContent');
      expect([t, c?.presence, c?.value.type]).toEqual([
        t,
        'required',
        t === 'com.apple.security.scep' ? 'dict' : 'data',
      ]);
    }
  });
  it('Password is a pkcs12 key only; PayloadScope and the pkcs12 key-access keys are macOS-only', () => {
    expect(KNOWN_PAYLOAD_TYPES.filter((t) => keysOf(PAYLOAD_KEYS[t]).includes('Password'))).toEqual([
      'com.apple.security.pkcs12',
    ]);
    expect(TOP_LEVEL_KEYS.find((k) => k.key === 'PayloadScope')?.platforms).toEqual(['macos']);
    for (const key of ['AllowAllAppsAccess', 'KeyIsExtractable'])
      expect(PAYLOAD_KEYS['com.apple.security.pkcs12'].find((k) => k.key === key)?.platforms).toEqual([
        'macos',
      ]);
  });
  it('the common and top-level keys require identifier, UUID, type and version', () => {
    for (const keys of [COMMON_PAYLOAD_KEYS, TOP_LEVEL_KEYS])
      expect(keys.filter((k) => k.presence === 'required').map((k) => k.key)).toEqual(
        expect.arrayContaining(['PayloadIdentifier', 'PayloadUUID', 'PayloadType', 'PayloadVersion']),
      );
  });
});
