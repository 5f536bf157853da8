/**
 * encodeOid / decodeOidContent remember what they made (issue 11 point 2): the same bytes as the uncached
 * path, each caller its own copy, other OIDs their own bytes, bounded.
 */
import { describe, expect, it } from 'vitest';
import { decodeOidContent, encodeOid, OID_MEMO_LIMIT, oidMemoSizes } from '../../../pki/der.ts';

describe('the OID memos', () => {
  it('encode as X.690 says, the same bytes every time, each caller its own copy', () => {
    const sha256WithRsa = '06092a864886f70d01010b'; // 1.2.840.113549.1.1.11
    const first = encodeOid('1.2.840.113549.1.1.11');
    expect(Buffer.from(first).toString('hex')).toBe(sha256WithRsa);
    first.fill(0); // a caller scribbling on its copy changes nothing for the next caller
    expect(Buffer.from(encodeOid('1.2.840.113549.1.1.11')).toString('hex')).toBe(sha256WithRsa);
    expect(Buffer.from(encodeOid('2.5.29.17')).toString('hex')).toBe('0603551d11');
    expect(Buffer.from(encodeOid('2.999.3')).toString('hex')).toBe('0603883703');
  });

  it('decode the bytes they encode, other bytes to other OIDs', () => {
    for (const oid of ['1.2.840.113549.1.1.11', '2.5.29.17', '2.999.3', '1.3.6.1.4.1.311.21.7']) {
      const der = encodeOid(oid);
      expect(decodeOidContent(der.subarray(2))).toBe(oid);
      expect(decodeOidContent(Uint8Array.from(der.subarray(2)))).toBe(oid);
    }
    expect(decodeOidContent(Uint8Array.of(0x55, 0x1d, 0x11))).toBe('2.5.29.17');
    expect(decodeOidContent(Uint8Array.of(0x55, 0x1d, 0x12))).toBe('2.5.29.18');
  });

  it('input that does not encode throws every time', () => {
    const before = oidMemoSizes().encoded;
    expect(() => encodeOid('not an oid')).toThrow();
    expect(() => encodeOid('not an oid')).toThrow();
    expect(oidMemoSizes().encoded).toBe(before);
  });

  it(`are bounded: at most ${OID_MEMO_LIMIT} entries each, and still right past the bound`, () => {
    for (let i = 0; i <= OID_MEMO_LIMIT; i++)
      decodeOidContent(encodeOid(`1.3.6.1.4.1.99999.${i}`).subarray(2));
    expect(oidMemoSizes()).toEqual({ encoded: OID_MEMO_LIMIT, decoded: OID_MEMO_LIMIT });
    expect(decodeOidContent(encodeOid('1.3.6.1.4.1.99999.0').subarray(2))).toBe('1.3.6.1.4.1.99999.0');
    // a long content is decoded without being remembered
    const long = Uint8Array.from([0x2b, ...new Array<number>(70).fill(0x81), 0x01]);
    const size = oidMemoSizes().decoded;
    expect(decodeOidContent(long).startsWith('1.3.')).toBe(true);
    expect(oidMemoSizes().decoded).toBe(size);
  });
});
