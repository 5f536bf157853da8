/**
 * The scenario key `certificateAccess` of PKCS and imported-PKCS profiles (Android fully managed): the word
 * `userApproval`, or a list of app package ids (→ `specificApps`). Shared by read-profiles.ts and
 * read-imported.ts.
 */
import type { At, Checker } from './checker.ts';

/** The model's `certificateAccess` for the node at `at` (problems go to `c`). */
export function readCertificateAccess(
  c: Checker,
  at: At,
): { type: string | undefined } | { type: 'specificApps'; packageIds: Array<string | undefined> } {
  if (at.node.type === 'scalar') {
    return { type: c.oneOf(at, ['userApproval'], 'certificate access (or a list of app package ids)') };
  }
  const pkgs = (c.list(at) ?? []).map((p) => c.string(p));
  return { type: 'specificApps', packageIds: pkgs };
}
