/**
 * OMA-DM node addresses (`<LocURI>`): the syntax rules Windows enforces.
 *
 * Models docs/formats.md §2.1 (OMADM): a LocURI can't start with `/`; `.` is only valid as the first segment; a node
 * name can't be empty or only `*`; non-alphanumerics are URL-escaped (so a `%` must start a `%XX` escape).
 * The scope prefix `./Device/…` targets the device, `./User/…` the user, and no prefix means the device.
 */

/** Why a LocURI is malformed, or `undefined` when it is well-formed. */
export function locUriFault(uri: string): string | undefined {
  if (uri.length === 0) return 'the LocURI is empty';
  if (uri.startsWith('/')) return 'a LocURI cannot start with "/" (use "./…" or a relative path)';
  const segments = uri.split('/');
  for (const [i, seg] of segments.entries()) {
    if (seg === '.') {
      if (i !== 0) return `"." is only valid as the first segment (segment ${i + 1})`;
      continue;
    }
    if (seg === '') return `node name ${i + 1} is empty (a doubled or trailing "/")`;
    if (/^\*+$/.test(seg)) return `node name ${i + 1} is only "*"`;
    if (seg === '..') return `".." is not a node name (segment ${i + 1})`;
    if (/%(?![0-9A-Fa-f]{2})/.test(seg))
      return `node name ${i + 1} has a "%" that does not start a %XX escape`;
    if (/\s/.test(seg)) return `node name ${i + 1} contains whitespace (URL-escape it as %20)`;
  }
  return undefined;
}

/** The scope of a LocURI: `Device` for `./Device/…` or no prefix, `User` for `./User/…` (OMADM). */
export type LocUriScope = 'Device' | 'User';

/** A LocURI split into its scope and the node names after `./Device`, `./User` or `.`. */
export interface SplitLocUri {
  scope: LocUriScope;
  /** Whether the URI carried an explicit `./Device` or `./User` prefix. */
  explicitScope: boolean;
  segments: string[];
}

/** Splits a well-formed LocURI (check it with {@link locUriFault} first). */
export function splitLocUri(uri: string): SplitLocUri {
  const parts = uri.split('/');
  if (parts[0] === '.') parts.shift();
  const first = parts[0];
  if (first === 'Device' || first === 'User') {
    return { scope: first, explicitScope: true, segments: parts.slice(1) };
  }
  return { scope: 'Device', explicitScope: false, segments: parts };
}
