/**
 * MEIDs of CDMA-capable phones (issue 4: "MEID (14 hex digits + check digit, only on CDMA-capable phones)").
 *
 * Structure (3GPP2 S.R0048 "3G Mobile Equipment Identifier (MEID)"): 56 bits written as 14 hexadecimal
 * digits `RR XXXXXX ZZZZZZ` — RR the regional code, XXXXXX the manufacturer code (assigned to a
 * manufacturer by the global administrator), ZZZZZZ the serial number the manufacturer assigns. Regional
 * codes A0–FF are globally administered; decimal MEIDs (RR below A0, e.g. derived from an IMEI) are not what
 * the issue asks for. docs/formats.md has no MEID section, so the structure is cited from S.R0048; that real
 * allocations so far use RR `A0`/`A1` is **inferred** from public examples (AMAPI's `A00000292788E1`).
 * The check digit (S.R0048 Annex A, Luhn in base 16, check-digits.ts) is printed on labels; devices and MDM
 * inventories report the 14 digits without it (AMAPI `networkInfo.meid`, Apple DeviceInformation `MEID`).
 */
import type { Random } from '../../protocol/runtime/random.ts';
import { createRandom } from '../../protocol/runtime/random.ts';
import { meidCheckDigit } from './check-digits.ts';

const HEX = '0123456789ABCDEF';

/** Regional codes drawn from (globally administered range, weighted towards the one in use the longest). */
const REGIONAL_CODES: readonly [string, number][] = [
  ['A0', 80],
  ['A1', 20],
];

/** How many manufacturer codes each manufacturer holds (a few blocks, as large vendors do; inferred). */
const CODES_PER_MANUFACTURER = 3;

/**
 * The manufacturer codes (`RR XXXXXX`, 8 hex digits) of `manufacturer`: fixed for a manufacturer whatever
 * the seed, so every device of one vendor shares its vendor's prefixes.
 */
export function meidPrefixesOf(manufacturer: string): string[] {
  const r = createRandom(`meid-manufacturer/${manufacturer}`);
  return Array.from({ length: CODES_PER_MANUFACTURER }, () => r.weighted(REGIONAL_CODES) + r.chars(HEX, 6));
}

/** A 14-hex-digit MEID of `manufacturer` and its check digit, drawn from `random`. */
export function drawMeid(random: Random, manufacturer: string): { meid: string; checkDigit: string } {
  const meid = random.pick(meidPrefixesOf(manufacturer)) + random.chars(HEX, 6);
  return { meid, checkDigit: meidCheckDigit(meid) };
}
