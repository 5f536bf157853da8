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
