/**
 * Round trip, determinism, golden bytes and Python plistlib agreement for every certificate payload type on
 * macOS and iOS (docs/architecture.md house rule 3). Regenerate goldens with `CERTFLEET_UPDATE_GOLDEN=1` and read them.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeMobileconfig, encodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { APPLE_PLATFORMS, CERTIFICATE_PAYLOAD_TYPES } from '../../../profiles/apple/mobileconfig-types.ts';
import type { PlistValue } from '../../../profiles/apple/plist-value.ts';
import { TOP_LEVEL_KEYS } from '../../../profiles/apple/profile-schema.ts';
import { buildDictFromSpec } from '../../../profiles/apple/schema-build.ts';
import { golden, goldenPath as goldenFile } from '../../fixtures/golden.ts';
import { sampleProfile } from './apple-fixtures.ts';

const cases = APPLE_PLATFORMS.flatMap((platform) =>
  CERTIFICATE_PAYLOAD_TYPES.map((type) => ({ platform, type })),
);
const goldenName = (platform: string, type: string): string =>
  `${platform}-${type.split('.').pop() ?? type}.mobileconfig`;
const goldenPath = (platform: string, type: string): string =>
  goldenFile('apple', goldenName(platform, type));

/** `path → [type, value]` for every leaf and container, in the vocabulary Python prints below. */
function summarise(
  v: PlistValue,
  path = '',
  out: Record<string, [string, unknown]> = {},
): Record<string, [string, unknown]> {
  switch (v.kind) {
    case 'dict':
      out[path] = ['dict', [...v.entries.keys()].sort()];
      for (const [k, child] of v.entries) summarise(child, path === '' ? k : `${path}.${k}`, out);
      break;
    case 'array':
      out[path] = ['array', v.items.length];
      v.items.forEach((child, i) => summarise(child, `${path}[${i}]`, out));
      break;
    case 'data':
      out[path] = ['data', v.value.toString('base64')];
      break;
    case 'date':
      out[path] = ['date', v.value.toISOString().replace('.000Z', 'Z')];
      break;
    default:
      out[path] = [v.kind, v.value];
  }
  return out;
}

const PY_SUMMARY = `
import json, plistlib, sys, base64, datetime
def summ(v, path, out):
    if isinstance(v, dict):
        out[path] = ['dict', sorted(v.keys())]
        for k, c in v.items(): summ(c, k if path == '' else path + '.' + k, out)
    elif isinstance(v, list):
        out[path] = ['array', len(v)]
        for i, c in enumerate(v): summ(c, '%s[%d]' % (path, i), out)
    elif isinstance(v, bool): out[path] = ['boolean', v]
    elif isinstance(v, int): out[path] = ['integer', v]
    elif isinstance(v, float): out[path] = ['real', v]
    elif isinstance(v, bytes): out[path] = ['data', base64.b64encode(v).decode()]
    elif isinstance(v, datetime.datetime): out[path] = ['date', v.strftime('%Y-%m-%dT%H:%M:%SZ')]
    elif isinstance(v, str): out[path] = ['string', v]
    else: raise TypeError(type(v))
    return out
res = {}
for f in sys.argv[1:]:
    raw = open(f, 'rb').read()
    v = plistlib.loads(raw)
    res[f] = {'summary': summ(v, '', {}), 'redumpIdentical': plistlib.dumps(v) == raw}
print(json.dumps(res))
`;

describe.each(APPLE_PLATFORMS)('mobileconfig codec on %s', (platform) => {
  it.each(CERTIFICATE_PAYLOAD_TYPES)('decode(encode(x)) deep-equals x for %s', (type) => {
    const profile = sampleProfile(type, platform);
    const bytes = encodeMobileconfig(profile, { platform });
    const r = decodeMobileconfig(bytes, { platform });
    expect(r.ok ? [] : r.problems).toEqual([]);
    expect(r.ok && r.profile).toEqual(profile);
    expect(r.warnings).toEqual([]);
    expect(r.raw.equals(bytes)).toBe(true);
  });

  it.each(CERTIFICATE_PAYLOAD_TYPES)('encodes %s deterministically, to the golden bytes', (type) => {
    const a = encodeMobileconfig(sampleProfile(type, platform), { platform });
    const b = encodeMobileconfig(sampleProfile(type, platform), { platform });
    expect(a.equals(b)).toBe(true);
    expect(a.toString('utf8')).toBe(golden('apple', goldenName(platform, type), a).toString('utf8'));
  });
});

describe('encoded files agree with Python plistlib', () => {
  it('every golden file loads in plistlib with the same keys, types and values, and re-dumps identically', () => {
    const files = cases.map(({ platform, type }) => goldenPath(platform, type));
    const out = JSON.parse(
      execFileSync('python3', ['-c', PY_SUMMARY, ...files], { encoding: 'utf8' }),
    ) as Record<string, { summary: Record<string, [string, unknown]>; redumpIdentical: boolean }>;
    for (const { platform, type } of cases) {
      const file = goldenPath(platform, type);
      const ours = summarise(
        buildDictFromSpec(sampleProfile(type, platform), TOP_LEVEL_KEYS, 'MOBILECONFIG_INVALID'),
      );
      expect(out[file]?.summary, file).toEqual(ours);
      expect(out[file]?.redumpIdentical, file).toBe(true);
    }
  });
});
