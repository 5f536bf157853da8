/**
 * Check digits of mobile equipment identifiers.
 *
 * - IMEI: the 15th digit is the Luhn (ISO/IEC 7812 mod-10) check digit over the first 14 (3GPP TS 23.003
 *   §6.2.1 / GSMA IMEI Allocation and Approval Guidelines: "The Check Digit shall be calculated according to
 *   Luhn formula (ISO/IEC 7812)"). Worked example: `49015420323751` → check digit `8`.
 * - MEID: 3GPP2 S.R0048 Annex A computes the check digit with the same Luhn rule, carried out in the base the
 *   MEID is written in: base 10 when all 14 digits are decimal (an MEID whose regional code is below `A0`,
 *   such as the IMEI-derived MEID of a world phone, which is the IMEI without its check digit), base 16 when
 *   it is hexadecimal. Base-16 Luhn: from the rightmost digit leftwards, double every other digit starting
 *   with the rightmost; a doubled value of 16 or more contributes the sum of its two hex digits (`2d - 15`);
 *   the check digit is `(16 - sum mod 16) mod 16`, written in hex. Worked example:
 *   `6C4BFFC0000004` → `4`. The check digit is printed on labels but is not part of the reported MEID.
 */
import { CertfleetError } from '../../pki/errors.ts';

/** Luhn check digit, in `base` (10 or 16), of a string of digits in that base. */
export function luhnCheckDigit(payload: string, base: 10 | 16 = 10): string {
  const pattern = base === 10 ? /^[0-9]+$/ : /^[0-9A-Fa-f]+$/;
  if (!pattern.test(payload)) {
    throw new CertfleetError('INTERNAL', `Not a base-${base} digit string: "${payload}".`);
  }
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    const digit = Number.parseInt(payload.charAt(payload.length - 1 - i), base);
    if (i % 2 === 0) {
      const doubled = digit * 2;
      sum += doubled >= base ? doubled - base + 1 : doubled;
    } else {
      sum += digit;
    }
  }
  return ((base - (sum % base)) % base).toString(base).toUpperCase();
}

/** True when a 15-digit IMEI carries a valid Luhn check digit. */
export function isValidImei(imei: string): boolean {
  return /^[0-9]{15}$/.test(imei) && luhnCheckDigit(imei.slice(0, 14)) === imei.charAt(14);
}

/**
 * The S.R0048 check digit of a 14-digit MEID (decimal MEIDs in base 10, hexadecimal ones in base 16).
 *
 * @example meidCheckDigit('6C4BFFC0000004') // '4'
 */
export function meidCheckDigit(meid: string): string {
  if (!/^[0-9A-Fa-f]{14}$/.test(meid)) {
    throw new CertfleetError('INTERNAL', `An MEID has 14 hexadecimal digits, not "${meid}".`);
  }
  return luhnCheckDigit(meid, /^[0-9]{14}$/.test(meid) ? 10 : 16);
}
