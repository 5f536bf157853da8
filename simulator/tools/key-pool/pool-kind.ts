/**
 * The kinds of key a key pool holds — the `--kind` of `certfleet keys make` — and their {@link KeySpec}.
 */
import { CertfleetError } from '../../../pki/errors.ts';
import type { KeySpec } from '../../../pki/keys.ts';

/** The key kinds a pool can hold. */
export const POOL_KINDS = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384'] as const;

/** One of {@link POOL_KINDS}. */
export type PoolKind = (typeof POOL_KINDS)[number];

const SPECS: Record<PoolKind, KeySpec> = {
  'rsa-2048': { kind: 'rsa', size: 2048 },
  'rsa-3072': { kind: 'rsa', size: 3072 },
  'rsa-4096': { kind: 'rsa', size: 4096 },
  'ec-p256': { kind: 'ec', curve: 'P-256' },
  'ec-p384': { kind: 'ec', curve: 'P-384' },
};

/** The key spec of a pool kind. */
export function specOfKind(kind: PoolKind): KeySpec {
  return SPECS[kind];
}

/** The pool kind of a key spec. */
export function kindOfSpec(spec: KeySpec): PoolKind {
  return spec.kind === 'rsa' ? `rsa-${spec.size}` : spec.curve === 'P-256' ? 'ec-p256' : 'ec-p384';
}

/** `value` as a {@link PoolKind}; USAGE naming the kinds otherwise. */
export function parsePoolKind(value: string): PoolKind {
  if ((POOL_KINDS as readonly string[]).includes(value)) return value as PoolKind;
  throw new CertfleetError(
    'USAGE',
    `--kind '${value}' is not a key kind a pool holds; use one of ${POOL_KINDS.join(', ')}.`,
  );
}
