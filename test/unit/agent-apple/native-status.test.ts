/**
 * The one Apple native-status table (agent/platforms/apple/native-status.ts): every row names a code of the
 * closed list and an Apple error of the codec's catalogue, with a source; the chains it builds encode as a
 * valid command response.
 */
import { describe, expect, it } from 'vitest';
import { APPLE_CASES } from '../../../agent/platforms/apple/index.ts';
import { payloadFailureChain } from '../../../agent/platforms/apple/native-status.ts';
import { ERROR_CODES } from '../../../pki/errors.ts';
import { APPLE_ERRORS, decodeCommandResponse, encodeCommandResponse } from '../../../profiles/apple/index.ts';
import { ADAPTERS, certPayload, chainOf, hierarchy, newContext, profileBytes, replyOf } from './fixtures.ts';

const ROWS = Object.entries(APPLE_CASES);

describe('APPLE_CASES', () => {
  it.each(ROWS)(
    '%s: a known outcome code, a catalogued Apple error, a confidence and a source',
    (_name, row) => {
      expect(Object.keys(ERROR_CODES)).toContain(row.code);
      expect(APPLE_ERRORS[row.error]).toBeDefined();
      expect(['documented', 'observed', 'inferred']).toContain(row.mapping);
      expect(row.source.length).toBeGreaterThan(10);
    },
  );

  it.each(ROWS)('%s: its failure chain is a valid Error response, 4001 first', (name) => {
    const chain = payloadFailureChain('Payload X', name as keyof typeof APPLE_CASES, 'why');
    const bytes = encodeCommandResponse({ Status: 'Error', CommandUUID: 'C', UDID: 'U', ErrorChain: chain });
    const d = decodeCommandResponse(bytes);
    expect(d.ok && d.response.ErrorChain?.map((c) => c.ErrorCode)[0]).toBe(4001);
    const error = APPLE_ERRORS[APPLE_CASES[name as keyof typeof APPLE_CASES].error];
    expect(chain[1]).toEqual({
      ErrorCode: error.code,
      ErrorDomain: error.domain,
      LocalizedDescription: 'why',
      USEnglishDescription: 'why',
    });
  });
});

describe.each(['macos', 'ios'] as const)(
  'regression issue 4: a missing key answers with the observed 4001 → 1000 → 2000 chain on %s',
  (platform) => {
    // docs/errors.md §2.3 "Missing required key in a payload": observed (micromdm/micromdm#496) 4001 → 1000
    // MCProfileErrorDomain → 2000 MCPayloadErrorDomain, not the table's 1002/2002.
    const h = hierarchy();
    const valid = profileBytes(platform, 'com.example.missing', [
      certPayload(h.root, 'root-payload'),
    ]).toString('utf8');

    it('a key missing inside a payload (PayloadUUID)', () => {
      const text = valid.replace(
        /(<key>PayloadType<\/key>\s*<string>com\.apple\.security\.root<\/string>[\s\S]*?)<key>PayloadUUID<\/key>\s*<string>[^<]*<\/string>/,
        '$1',
      );
      expect(text).not.toBe(valid);
      const r = ADAPTERS[platform].deliver(newContext(platform), Buffer.from(text));
      expect(chainOf(r)).toEqual([
        ['MCInstallationErrorDomain', 4001],
        ['MCProfileErrorDomain', 1000],
        ['MCPayloadErrorDomain', 2000],
      ]);
      const chain = replyOf(r).ErrorChain ?? [];
      expect(chain[1]?.LocalizedDescription).toMatch(
        /The required field \u201cPayloadUUID\u201d is missing\./,
      );
      expect(chain[2]?.LocalizedDescription).toMatch(/^The payload \u201c.+\u201d is invalid\.$/);
    });

    it('a top-level key missing (PayloadIdentifier)', () => {
      const text = valid.replace(
        /<key>PayloadIdentifier<\/key>\s*<string>com\.example\.missing<\/string>/,
        '',
      );
      expect(text).not.toBe(valid);
      const r = ADAPTERS[platform].deliver(newContext(platform), Buffer.from(text));
      expect(chainOf(r)).toEqual([
        ['MCInstallationErrorDomain', 4001],
        ['MCProfileErrorDomain', 1000],
      ]);
    });
  },
);
