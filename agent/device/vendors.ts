/**
 * Vendor facts certfleet draws identifiers from: the IEEE OUIs (MAC address prefixes) registered to each
 * manufacturer, and each manufacturer's serial-number pattern.
 *
 * OUIs: every prefix below is an MA-L assignment registered to that manufacturer in the IEEE registry, checked
 * against the copy Debian ships in `ieee-data` (`/usr/share/ieee-data/oui.csv`, registry snapshot 2022-08-27;
 * the unit test re-checks them when that file exists). Real PCs usually report the Wi-Fi module maker's OUI
 * (Intel, Realtek…); certfleet uses the device manufacturer's own OUIs so that a MAC address says which kind
 * of device it came from.
 *
 * Serial numbers follow each vendor's visible pattern (length, alphabet, well-known leading characters). They
 * are illustrative: certfleet does not encode real factory, date or model codes.
 */
import type { Random } from '../../protocol/runtime/random.ts';

/** Manufacturers certfleet simulates, by the name their devices report (DevInfo/Man, AMAPI `manufacturer`). */
export const MANUFACTURERS = [
  'Apple',
  'Dell Inc.',
  'HP',
  'LENOVO',
  'Microsoft Corporation',
  'samsung',
  'Google',
  'motorola',
  'Zebra Technologies',
] as const;
/** One of {@link MANUFACTURERS}. */
export type Manufacturer = (typeof MANUFACTURERS)[number];

/** IEEE MA-L OUIs registered to each manufacturer (upper-case hex, no separators). */
export const MANUFACTURER_OUIS = {
  Apple: ['001CB3', 'F01898', 'A483E7', 'ACBC32', '3C22FB', '28CFE9', '18FAB7', '881E5A'],
  'Dell Inc.': ['001E4F', '14FEB5', 'B8CA3A', 'C03EBA', '747827', 'B07B25'],
  HP: ['705A0F', '9457A5', 'A0D3C1', '8CDCD4', 'C8D3FF', '10E7C6'],
  LENOVO: ['10C595', 'A41194', '809621', 'A48CDB'],
  'Microsoft Corporation': ['001DD8', 'F46AD7', 'A04A5E', 'E8A72F'],
  samsung: ['0012FB', '001632', '8C7712', '241153', 'F85B6E', '5CAC3D', 'CCE686'],
  Google: ['F4F5E8', '3C286D', '44070B', 'F81A2B', 'B06A41', 'DCE55B'],
  motorola: ['84100D', '5C5188', 'C06B55', '3083D2'],
  'Zebra Technologies': ['7493A4', 'C47DCC', '78B8D6', '000512'],
} as const satisfies Record<Manufacturer, readonly string[]>;

/** The registrant name in the IEEE registry that each manufacturer's OUIs belong to (used by the test). */
export const OUI_REGISTRANTS = {
  Apple: 'Apple, Inc.',
  'Dell Inc.': 'Dell Inc.',
  HP: 'Hewlett Packard',
  LENOVO: 'Lenovo',
  'Microsoft Corporation': 'Microsoft Corporation',
  samsung: 'Samsung Electronics Co.,Ltd',
  Google: 'Google, Inc.',
  motorola: 'Motorola Mobility LLC, a Lenovo Company',
  'Zebra Technologies': 'Zebra Technologies',
} as const satisfies Record<Manufacturer, string>;

/**
 * A Wi-Fi MAC address of the manufacturer: a registered OUI and three seeded bytes, written `AA:BB:CC:DD:EE:FF`
 * in upper case. Being a registered (universally administered, unicast) OUI, the first octet has the
 * locally-administered bit (0x02) and the multicast bit (0x01) clear — unlike the randomised per-network
 * addresses phones use for privacy.
 */
export function wifiMacAddress(random: Random, manufacturer: Manufacturer): string {
  const oui = random.pick(MANUFACTURER_OUIS[manufacturer]);
  const tail = Buffer.from(random.bytes(3)).toString('hex').toUpperCase();
  return (oui + tail).match(/../g)!.join(':');
}

/** Serial-number patterns, one per vendor style. */
export const SERIAL_STYLES = [
  'apple-12',
  'apple-10',
  'dell',
  'hp',
  'lenovo',
  'microsoft',
  'samsung',
  'google',
  'motorola',
  'zebra',
] as const;
/** One of {@link SERIAL_STYLES}. */
export type SerialStyle = (typeof SERIAL_STYLES)[number];

const DIGITS = '0123456789';
const UPPER_ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
/** Apple's serial alphabet: digits and consonants without B, S and Z (no vowels, no look-alikes). */
const APPLE_ALPHABET = '0123456789CDFGHJKLMNPQRTVWXY';
/** Dell service tags: digits and consonants (no vowels). */
const DELL_ALPHABET = '0123456789BCDFGHJKLMNPQRSTVWXYZ';

/**
 * What each serial style looks like:
 * - `apple-12` — 12 characters, pre-2021 Apple: 3-character factory, year, week, 3 unique, 4-character model code (`C02ZK0XQMD6T`)
 * - `apple-10` — 10 randomised characters, Apple devices from 2021 (`H4V6KLQ9N2`)
 * - `dell` — 7-character service tag (`7XK2DH3`)
 * - `hp` — 10 characters starting with a site code such as `5CG`, `5CD`, `CND`, `8CG` (`5CG2381JQX`)
 * - `lenovo` — 8 characters starting `PF` (ThinkPad) (`PF3K2A7B`)
 * - `microsoft` — Surface: 12 digits (`031234571953`)
 * - `samsung` — 11 characters starting `R58` or `R5C`/`R3C` (`R58N12ABCDE`)
 * - `google` — Pixel: 14 characters, digits and capitals (`2A191FDH3004ZQ`)
 * - `motorola` — 10 characters starting `ZY` (`ZY22H7KQ5T`)
 * - `zebra` — 14 digits (`21165520501234`)
 */
export const SERIAL_PATTERNS = {
  'apple-12': /^[CDFGHJKLMNPQRTVWXY0-9]{12}$/,
  'apple-10': /^[CDFGHJKLMNPQRTVWXY0-9]{10}$/,
  dell: /^[0-9BCDFGHJKLMNPQRSTVWXYZ]{7}$/,
  hp: /^(5CG|5CD|CND|8CG)[0-9A-Z]{7}$/,
  lenovo: /^PF[0-9A-Z]{6}$/,
  microsoft: /^[0-9]{12}$/,
  samsung: /^R(58|5C|3C)[0-9A-Z]{8}$/,
  google: /^[0-9][0-9A-Z]{13}$/,
  motorola: /^ZY[0-9A-Z]{8}$/,
  zebra: /^[0-9]{14}$/,
} as const satisfies Record<SerialStyle, RegExp>;

/** A seeded serial number in the vendor's style (see {@link SERIAL_PATTERNS}). */
export function serialNumber(random: Random, style: SerialStyle): string {
  switch (style) {
    case 'apple-12':
      return (
        random.pick(['C02', 'C07', 'F5K', 'D25', 'FVF']) +
        random.chars(APPLE_ALPHABET, 5) +
        random.pick(['MD6T', 'MD6M', 'Q6LR', 'P3YV'])
      );
    case 'apple-10':
      return random.chars('CDFGHJKLMNPQRTVWXY', 1) + random.chars(APPLE_ALPHABET, 9);
    case 'dell':
      return random.chars(DELL_ALPHABET, 7);
    case 'hp':
      return (
        random.pick(['5CG', '5CD', 'CND', '8CG']) + random.chars(DIGITS, 4) + random.chars(UPPER_ALNUM, 3)
      );
    case 'lenovo':
      return 'PF' + random.chars(UPPER_ALNUM, 6);
    case 'microsoft':
      return '0' + random.chars(DIGITS, 11);
    case 'samsung':
      return random.pick(['R58', 'R5C', 'R3C']) + random.chars(UPPER_ALNUM, 8);
    case 'google':
      return random.chars('123456789', 1) + random.chars(UPPER_ALNUM, 13);
    case 'motorola':
      return 'ZY' + random.chars(UPPER_ALNUM, 8);
    case 'zebra':
      return random.chars('12', 1) + random.chars(DIGITS, 13);
  }
}
