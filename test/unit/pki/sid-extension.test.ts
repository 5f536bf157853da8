/**
 * The KB5014754 SID security extension (docs/formats.md §5.3; MS-WCCE 2.2.2.7.7.4): the exact DER certfleet
 * writes, the round trip, and the refusal of a value that is not a SID.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeSidExtension,
  encodeSidExtension,
  isCertfleetError,
  isSidString,
  OID_NTDS_CA_SECURITY_EXT,
} from '../../../pki/index.ts';

const SID = 'S-1-5-21-1004336348-1177238915-682003330-1108';

describe('SID security extension (1.3.6.1.4.1.311.25.2)', () => {
  it('writes SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1, [0] { OCTET STRING sid } } }, byte for byte', () => {
    const sid = Buffer.from(SID, 'ascii');
    const octets = Buffer.concat([Buffer.of(0x04, sid.length), sid]);
    const value = Buffer.concat([Buffer.of(0xa0, octets.length), octets]);
    const oid = Buffer.from('060a2b0601040182371902' + '01', 'hex');
    const other = Buffer.concat([oid, value]);
    const name = Buffer.concat([Buffer.of(0xa0, other.length), other]);
    const want = Buffer.concat([Buffer.of(0x30, name.length), name]);
    expect(Buffer.from(encodeSidExtension(SID)).toString('hex')).toBe(want.toString('hex'));
    expect(OID_NTDS_CA_SECURITY_EXT).toBe('1.3.6.1.4.1.311.25.2');
  });

  it('reads back the SID it wrote', () => {
    expect(decodeSidExtension(encodeSidExtension(SID))).toBe(SID);
    expect(decodeSidExtension(encodeSidExtension('S-1-5-21-1-2-3-500'))).toBe('S-1-5-21-1-2-3-500');
  });

  it('refuses a value that is not a SID string, with CERT_BAD_INPUT and the value named', () => {
    for (const bad of [
      '',
      'S-1',
      '1-5-21-1',
      'S-1-5-21-abc',
      'tag:microsoft.com,2022-09-14:sid:S-1-5-21-1',
    ]) {
      expect(isSidString(bad)).toBe(false);
      let caught: unknown;
      try {
        encodeSidExtension(bad);
      } catch (e) {
        caught = e;
      }
      expect(isCertfleetError(caught) && caught.code).toBe('CERT_BAD_INPUT');
      expect(String((caught as Error).message)).toContain(`"${bad}"`);
    }
    expect(isSidString(SID)).toBe(true);
  });

  it('refuses to read an extension whose otherName has another type', () => {
    const v = Buffer.from(encodeSidExtension(SID));
    v[v.indexOf(Buffer.from('2b0601040182371902', 'hex')) + 9] = 0x02; // …25.2.1 → …25.2.2
    expect(() => decodeSidExtension(v)).toThrow(/otherName type is not 1\.3\.6\.1\.4\.1\.311\.25\.2\.1/);
  });
});
