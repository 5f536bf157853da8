/**
 * A SAN list without repeats. A profile can ask for the same name twice — `subjectAlternativeNameType`
 * `userPrincipalName` gives `{{UserPrincipalName}}` (profiles/model/profile-names.ts) and a custom SAN may give
 * it again — and a certificate that lists one name twice says nothing more than one that lists it once, so
 * the request (PKCS, resolve-request.ts) and the SCEP payloads (scep-names.ts) carry each SAN once: the first,
 * in profile order [certfleet].
 */

/** `sans` with every entry of the same target and value as an earlier one left out, in order. */
export function withoutRepeatedSans<S extends { target: string; value: string }>(sans: readonly S[]): S[] {
  const seen = new Set<string>();
  return sans.filter((s) => {
    const key = JSON.stringify([s.target, s.value]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
