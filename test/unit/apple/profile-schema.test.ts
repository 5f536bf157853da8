/**
 * Conformance suite: the runtime key tables (profiles/apple/profile-schema.ts) against Apple's own schema YAML
 * in schemas/apple/profiles/ of the conformance material (test/fixtures/conformance.ts; read in place): same
 * keys, plist types, presence, rangelists and macOS/iOS availability (key supportedOS inherits the payload's
 * and overrides it; `introduced: n/a` removes a platform — ADM, `apple/device-management:docs/schema.md`). PayloadScope is the one
 * documented exception (docs/formats.md §1.1).
 * Project-made mirror (payloads checked against the tables): test/unit/conformance-own/apple-schema.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  COMMON_PAYLOAD_KEYS,
  PAYLOAD_KEYS,
  SCEP_CONTENT_KEYS,
  TOP_LEVEL_KEYS,
} from '../../../profiles/apple/profile-schema.ts';
import type { KeySpec } from '../../../profiles/apple/profile-schema.ts';
import { conformancePath, describeConformance } from '../../fixtures/conformance.ts';

const SCHEMAS_REL = 'schemas/apple/profiles';
const SCHEMAS = conformancePath(SCHEMAS_REL);
const YAML_FILES = [
  'TopLevel.yaml',
  'CommonPayloadKeys.yaml',
  ...['root', 'pkcs1', 'pem', 'pkcs12', 'scep'].map((k) => `com.apple.security.${k}.yaml`),
];

interface YamlOs {
  introduced?: string;
}
interface YamlKey {
  key: string;
  type: string;
  presence?: string;
  rangelist?: (string | number)[];
  supportedOS?: Record<string, YamlOs>;
  subkeys?: YamlKey[];
}
interface YamlDoc {
  payload: { supportedOS: Record<string, YamlOs> };
  payloadkeys: YamlKey[];
}
const load = (file: string): YamlDoc => parse(readFileSync(join(SCHEMAS, file), 'utf8')) as YamlDoc;

const TYPE_MAP: Record<string, string[]> = {
  '<string>': ['string', 'string-or-strings'],
  '<integer>': ['integer'],
  '<real>': ['real'],
  '<boolean>': ['boolean'],
  '<date>': ['date'],
  '<data>': ['data'],
  '<array>': ['array', 'payloads'],
  '<dictionary>': ['dict', 'string-map'],
};

function platformsOf(doc: YamlDoc, key: YamlKey): string[] {
  const out: string[] = [];
  for (const [os, name] of [
    ['macOS', 'macos'],
    ['iOS', 'ios'],
  ] as const) {
    const base = doc.payload.supportedOS[os];
    const own = key.supportedOS?.[os];
    const introduced = own?.introduced ?? base?.introduced;
    if (base !== undefined && introduced !== undefined && introduced !== 'n/a') out.push(name);
  }
  return out;
}

function compare(
  doc: YamlDoc,
  yamlKeys: YamlKey[],
  ours: readonly KeySpec[],
  exceptions: Record<string, string[]> = {},
): void {
  expect(ours.map((k) => k.key).sort()).toEqual(yamlKeys.map((k) => k.key).sort());
  for (const y of yamlKeys) {
    const o = ours.find((k) => k.key === y.key) as KeySpec;
    expect(TYPE_MAP[y.type], `${y.key} type`).toContain(o.value.type);
    expect(o.presence, `${y.key} presence`).toBe(y.presence ?? 'optional');
    const rangelist = 'rangelist' in o.value ? o.value.rangelist : undefined;
    expect(rangelist === undefined ? undefined : [...rangelist], `${y.key} rangelist`).toEqual(y.rangelist);
    expect([...o.platforms].sort(), `${y.key} platforms`).toEqual(
      (exceptions[y.key] ?? platformsOf(doc, y)).sort(),
    );
  }
}

describeConformance(
  'key tables match Apple schema YAML',
  YAML_FILES.map((f) => `${SCHEMAS_REL}/${f}`),
  () => {
    it('TopLevel.yaml (PayloadScope: macOS only, per docs/formats.md §1.1)', () => {
      const doc = load('TopLevel.yaml');
      compare(doc, doc.payloadkeys, TOP_LEVEL_KEYS, { PayloadScope: ['macos'] });
    });

    it('CommonPayloadKeys.yaml', () => {
      const doc = load('CommonPayloadKeys.yaml');
      compare(doc, doc.payloadkeys, COMMON_PAYLOAD_KEYS);
    });

    it.each(['root', 'pkcs1', 'pem', 'pkcs12', 'scep'] as const)('com.apple.security.%s.yaml', (kind) => {
      const doc = load(`com.apple.security.${kind}.yaml`);
      compare(doc, doc.payloadkeys, PAYLOAD_KEYS[`com.apple.security.${kind}`]);
      if (kind === 'scep') {
        const content = doc.payloadkeys.find((k) => k.key === 'PayloadContent') as YamlKey;
        compare(doc, content.subkeys ?? [], SCEP_CONTENT_KEYS);
      }
    });
  },
);

describe('key tables without the YAML', () => {
  it('pkcs12 AllowAllAppsAccess and KeyIsExtractable are macOS-only (iOS n/a in the YAML)', () => {
    const keys = PAYLOAD_KEYS['com.apple.security.pkcs12'];
    expect(keys.find((k) => k.key === 'AllowAllAppsAccess')?.platforms).toEqual(['macos']);
    expect(keys.find((k) => k.key === 'KeyIsExtractable')?.platforms).toEqual(['macos']);
  });
});
