/**
 * Says which root a device lacks when a certificate's chain does not lead to an installed root, for the
 * INSTALL_UNTRUSTED_CHAIN outcome of platforms that install such an identity anyway and mark it untrusted.
 */
import type { ChainResult } from '../pki/chain.ts';

/**
 * The name of the root (or, when the chain stops earlier, of the missing issuer) the device would need, from
 * a failed {@link ChainResult}: the subject of a self-signed top that is not installed, else the issuer the
 * path stopped at.
 */
export function missingRootOf(result: ChainResult): string {
  const top = result.chain[result.chain.length - 1];
  if (!top) return 'unknown';
  return top.isSelfSigned ? top.subjectText : top.issuerText;
}

/**
 * A sentence for the outcome message: which root is missing, then every chain problem (each names the
 * certificate it is about).
 *
 * @example untrustedChainText(result) // 'its chain does not lead to an installed root: the root "CN=Root" is not installed. The chain ends at …'
 */
export function untrustedChainText(result: ChainResult): string {
  const top = result.chain[result.chain.length - 1];
  const what = top?.isSelfSigned
    ? `the root "${missingRootOf(result)}" is not installed`
    : `"${missingRootOf(result)}" (the issuer of "${top?.subjectText ?? ''}") is not installed`;
  const problems = result.problems.map((p) => p.message).join(' ');
  return `its chain does not lead to an installed root: ${what}.${problems ? ` ${problems}` : ''}`;
}
