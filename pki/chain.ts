/**
 * Certificate chains: building the path from a leaf to a root out of a pool, and verifying it at a given
 * (virtual) time. Verification returns a value, never throws: `{ ok, chain, problems }`, each problem with a
 * code from pki/errors.ts, a message and the certificate it concerns.
 *
 * Rules (a subset of RFC 5280 §6.1, enough for MDM trust decisions): an issuer is found by name (byte-equal
 * issuer/subject Name, else equal RFC 4514 text) and, when both are present, AKI = SKI; each signature must
 * verify with its issuer's key; the path must end in one of `trustedRoots` (compared by DER); every
 * certificate must be valid at `at`; every issuer must be a CA (basicConstraints cA, keyCertSign when key
 * usage is present, pathLenConstraint respected). A trusted root without basicConstraints (X.509 v1) is
 * accepted as an anchor.
 *
 * @example
 * const r = verifyChain({ leaf, intermediates: [issuing], trustedRoots: [root], at: clock.now() });
 * if (!r.ok) console.log(r.problems.map((p) => p.code)); // e.g. ['CHAIN_EXPIRED']
 */
import type { Certificate } from './certificate.ts';
import type { ErrorCode } from './errors.ts';

/** The chain problem codes. */
export type ChainProblemCode = Extract<
  ErrorCode,
  | 'CHAIN_INCOMPLETE'
  | 'CHAIN_UNTRUSTED'
  | 'CHAIN_BAD_SIGNATURE'
  | 'CHAIN_EXPIRED'
  | 'CHAIN_NOT_YET_VALID'
  | 'CHAIN_NOT_CA'
>;

/** One thing wrong with a chain. */
export interface ChainProblem {
  code: ChainProblemCode;
  message: string;
  /** The certificate the problem is about. */
  certificate: Certificate;
}

/** The outcome of {@link verifyChain}. */
export interface ChainResult {
  ok: boolean;
  /** The path found, leaf first (ends at the root when one was found). */
  chain: Certificate[];
  problems: ChainProblem[];
}

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  leaf: Certificate;
  intermediates: readonly Certificate[];
  trustedRoots: readonly Certificate[];
  /** The evaluation time (pass the virtual clock's now). */
  at: Date;
}

const MAX_DEPTH = 16;

function sameDer(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function namesMatch(issuerOf: Certificate, candidate: Certificate): boolean {
  return sameDer(issuerOf.issuerDer, candidate.subjectDer) || issuerOf.issuerText === candidate.subjectText;
}

function issuerCandidates(cert: Certificate, pool: readonly Certificate[]): Certificate[] {
  return pool.filter(
    (c) =>
      namesMatch(cert, c) &&
      !(cert.aki !== undefined && c.ski !== undefined && cert.aki !== c.ski) &&
      !sameDer(c.der, cert.der),
  );
}

function label(c: Certificate): string {
  return `"${c.subjectText}" (serial ${c.serialNumber})`;
}

/**
 * Builds the path from `leaf` upwards through `pool` (leaf first), preferring issuers whose signature
 * verifies. Stops at a self-signed certificate, or when no issuer is found.
 */
export function buildChain(leaf: Certificate, pool: readonly Certificate[]): Certificate[] {
  const chain = [leaf];
  let current = leaf;
  while (!current.isSelfSigned && chain.length < MAX_DEPTH) {
    const candidates = issuerCandidates(current, pool).filter(
      (c) => !chain.some((x) => sameDer(x.der, c.der)),
    );
    const cur = current;
    const next = candidates.find((c) => cur.verifySignature(c.publicKey)) ?? candidates[0];
    if (!next) break;
    chain.push(next);
    current = next;
  }
  return chain;
}

/** Verifies a chain at `opts.at`; returns every problem found (never throws for a bad chain). */
export function verifyChain(opts: VerifyChainOptions): ChainResult {
  const { leaf, at } = opts;
  const problems: ChainProblem[] = [];
  const isTrusted = (c: Certificate): boolean => opts.trustedRoots.some((r) => sameDer(r.der, c.der));
  const pool = [...opts.intermediates, ...opts.trustedRoots];

  // Build, stopping at the first trusted certificate.
  const chain = [leaf];
  let current = leaf;
  while (!isTrusted(current) && !current.isSelfSigned && chain.length < MAX_DEPTH) {
    const cur = current;
    const candidates = issuerCandidates(cur, pool).filter((c) => !chain.some((x) => sameDer(x.der, c.der)));
    const next = candidates.find((c) => cur.verifySignature(c.publicKey)) ?? candidates[0];
    if (!next) {
      problems.push({
        code: 'CHAIN_INCOMPLETE',
        message: `No issuer "${cur.issuerText}" found for ${label(cur)}: its certificate is neither a trusted root nor a known intermediate.`,
        certificate: cur,
      });
      break;
    }
    if (!cur.verifySignature(next.publicKey)) {
      problems.push({
        code: 'CHAIN_BAD_SIGNATURE',
        message: `The signature on ${label(cur)} does not verify with the key of its issuer ${label(next)}.`,
        certificate: cur,
      });
    }
    chain.push(next);
    current = next;
  }

  const top = chain[chain.length - 1] as Certificate;
  const incomplete = problems.some((p) => p.code === 'CHAIN_INCOMPLETE');
  if (!incomplete && !isTrusted(top)) {
    const namedSelf = sameDer(top.subjectDer, top.issuerDer);
    if (namedSelf && !top.isSelfSigned) {
      problems.push({
        code: 'CHAIN_BAD_SIGNATURE',
        message: `The self-signature on ${label(top)} does not verify.`,
        certificate: top,
      });
    }
    problems.push({
      code: 'CHAIN_UNTRUSTED',
      message: `The chain ends at ${label(top)}, which is not a trusted root (thumbprint ${top.sha1Thumbprint}).`,
      certificate: top,
    });
  }

  for (const c of chain) {
    if (at.getTime() < c.notBefore.getTime()) {
      problems.push({
        code: 'CHAIN_NOT_YET_VALID',
        message: `${label(c)} is not valid until ${c.notBefore.toISOString()} (evaluated at ${at.toISOString()}).`,
        certificate: c,
      });
    } else if (at.getTime() > c.notAfter.getTime()) {
      problems.push({
        code: 'CHAIN_EXPIRED',
        message: `${label(c)} expired on ${c.notAfter.toISOString()} (evaluated at ${at.toISOString()}).`,
        certificate: c,
      });
    }
  }

  chain.slice(1).forEach((issuer, idx) => {
    const bc = issuer.basicConstraints;
    if (!bc && isTrusted(issuer)) return; // v1 trust anchor
    if (!bc?.ca) {
      problems.push({
        code: 'CHAIN_NOT_CA',
        message: `${label(issuer)} issued ${label(chain[idx] as Certificate)} but is not a CA (basicConstraints cA is not set).`,
        certificate: issuer,
      });
      return;
    }
    if (issuer.extensions.keyUsage && !issuer.keyUsage.includes('keyCertSign')) {
      problems.push({
        code: 'CHAIN_NOT_CA',
        message: `${label(issuer)} may not sign certificates (key usage lacks keyCertSign).`,
        certificate: issuer,
      });
    }
    // Intermediate CA certificates below this issuer (not counting the leaf).
    const below = idx;
    if (bc.pathLength !== undefined && below > bc.pathLength) {
      problems.push({
        code: 'CHAIN_NOT_CA',
        message: `${label(issuer)} allows ${String(bc.pathLength)} CA certificate(s) below it, the chain has ${String(below)}.`,
        certificate: issuer,
      });
    }
  });

  return { ok: problems.length === 0, chain, problems };
}
