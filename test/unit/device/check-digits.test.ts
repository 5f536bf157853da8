import { describe, expect, it } from 'vitest';
import { isValidImei, luhnCheckDigit, meidCheckDigit } from '../../../agent/device/check-digits.ts';

describe('IMEI Luhn check digit (3GPP TS 23.003, ISO/IEC 7812)', () => {
  it.each([
    ['49015420323751', '8'], // the worked example of the IMEI allocation guidelines / Wikipedia
    ['35717185037376', '0'], // an iPhone IMEI observed in a public Authenticate message: 35 717185 037376 0
    ['35332509000000', '5'], // by hand: doubled 0,0,0,9→9,5→1,3→6,5→1 plus 0,0,0,0,2,3,3 = 25 → 5
  ])('%s → %s', (payload, check) => {
    expect(luhnCheckDigit(payload)).toBe(check);
    expect(isValidImei(payload + check)).toBe(true);
  });

  it.each([['490154203237517'], ['49015420323751'], ['4901542032375180'], ['49015420323751A']])(
    '%s is not a valid IMEI',
    (imei) => {
      expect(isValidImei(imei)).toBe(false);
    },
  );
});

describe('MEID check digit (3GPP2 S.R0048: Luhn in base 16, or base 10 for decimal MEIDs)', () => {
  it.each([
    ['6C4BFFC0000004', '4'], // hex example with a known check digit
    ['AF0123450ABCDE', 'C'], // the MEID example "AF 01 23 45 0A BC DE C"
    ['af0123450abcde', 'C'], // case does not matter
    ['35717185037376', '0'], // decimal MEID (IMEI-derived): base 10, equal to the IMEI's check digit
  ])('%s → %s', (meid, check) => {
    expect(meidCheckDigit(meid)).toBe(check);
  });

  it.each([['A0000029278'], ['A00000292788E1F'], ['G0000000000000']])('%s is rejected', (meid) => {
    expect(() => meidCheckDigit(meid)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
