/**
 * Deterministic identifiers for compiled payloads (docs/architecture.md house rule 2: same seed, same payload bytes).
 *
 * A compiled payload needs fresh-looking ids — Apple `PayloadUUID`s (docs/formats.md §1.1/§1.2: "globally
 * unique"), the Windows PFXCertInstall `{UniqueID}` (an upper-case GUID as Intune sends it, docs/formats.md §2.6,
 * IMITUNE) and the ONC certificate `GUID`s (docs/formats.md §3.2). The compiler never draws them itself: it asks an
 * injected {@link IdSource}, so tests and golden files pin them and a scenario seed reproduces them.
 */
import { createHash } from 'node:crypto';

/** What an id is for; the same purpose asked twice gives two different ids. */
export type IdPurpose =
  | 'apple-profile-uuid'
  | 'apple-payload-uuid'
  | 'windows-unique-id'
  | 'android-certificate-guid'
  | 'android-ca-guid';

/** Returns a new upper-case 8-4-4-4-12 GUID for `purpose`. */
export type IdSource = (purpose: IdPurpose) => string;

/** Formats 16 bytes as an RFC 4122 version-4 style GUID in upper case (variant and version bits set). */
function guidOf(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * An {@link IdSource} derived from `seed`: the n-th id of a purpose is SHA-256(`seed/purpose/n`), shaped as a
 * version-4 GUID. Each call of `seededIds` starts its own counters, so one compilation = one source.
 *
 * @example
 * const ids = seededIds('golden');
 * ids('windows-unique-id'); // always the same GUID for seed 'golden'
 */
export function seededIds(seed: string | number): IdSource {
  const counters = new Map<IdPurpose, number>();
  return (purpose) => {
    const n = counters.get(purpose) ?? 0;
    counters.set(purpose, n + 1);
    return guidOf(
      createHash('sha256')
        .update(`${String(seed)}/${purpose}/${n}`)
        .digest(),
    );
  };
}
