/**
 * Builds a plist value tree from a plain object, directed by a key table (so a `Buffer` becomes `<data>`, a
 * number for an `<integer>` key becomes `<integer>`…). Refuses keys the table does not define and values of
 * the wrong JavaScript type with a {@link CertfleetError} carrying `code`. Schema rules (presence,
 * rangelists, platforms) are checked afterwards by the validator on the built tree, so encoder and decoder
 * share one set of rules. Source: docs/formats.md §1.1–1.5.
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { PlistValue } from './plist-value.ts';
import { KNOWN_PAYLOAD_TYPES } from './mobileconfig-types.ts';
import { COMMON_PAYLOAD_KEYS, PAYLOAD_KEYS } from './profile-schema.ts';
import type { KeySpec, ValueSpec } from './profile-schema.ts';
import { describePath, joinIndexPath, joinKeyPath } from './problem.ts';
import type { ProblemCode } from './problem.ts';

function invalid(path: string, message: string, code: ProblemCode): CertfleetError {
  return new CertfleetError(code, message, { details: { path } });
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return (
    typeof x === 'object' && x !== null && !Array.isArray(x) && !Buffer.isBuffer(x) && !(x instanceof Date)
  );
}

function buildDict(obj: unknown, keys: readonly KeySpec[], path: string, code: ProblemCode): PlistValue {
  if (!isPlainObject(obj)) throw invalid(path, `${describePath(path)} must be an object (a <dict>).`, code);
  const byKey = new Map(keys.map((k) => [k.key, k]));
  const entries = new Map<string, PlistValue>();
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const childPath = joinKeyPath(path, key);
    const spec = byKey.get(key);
    if (spec === undefined)
      throw invalid(childPath, `${childPath} is not a key Apple's schema defines here; remove it.`, code);
    entries.set(key, buildValue(spec.value, value, childPath, code));
  }
  return { kind: 'dict', entries };
}

function buildValue(spec: ValueSpec, x: unknown, path: string, code: ProblemCode): PlistValue {
  const expect = (what: string): CertfleetError => invalid(path, `${path} must be ${what}.`, code);
  switch (spec.type) {
    case 'string':
      if (typeof x !== 'string') throw expect('a string');
      return { kind: 'string', value: x };
    case 'integer':
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw expect('an integer');
      return { kind: 'integer', value: x };
    case 'real':
      if (typeof x !== 'number') throw expect('a number');
      return { kind: 'real', value: x };
    case 'boolean':
      if (typeof x !== 'boolean') throw expect('a boolean');
      return { kind: 'boolean', value: x };
    case 'date':
      if (!(x instanceof Date)) throw expect('a Date');
      return { kind: 'date', value: x };
    case 'data':
      if (!(x instanceof Uint8Array)) throw expect('a Buffer (the bytes of <data>)');
      return { kind: 'data', value: Buffer.from(x) };
    case 'array':
      if (!Array.isArray(x)) throw expect('an array');
      return {
        kind: 'array',
        items: x.map((item, i) => buildValue(spec.items, item, joinIndexPath(path, i), code)),
      };
    case 'dict':
      return buildDict(x, spec.keys, path, code);
    case 'string-map': {
      if (!isPlainObject(x)) throw expect('an object of strings');
      const entries = new Map<string, PlistValue>();
      for (const [k, v] of Object.entries(x))
        entries.set(k, buildValue({ type: 'string' }, v, joinKeyPath(path, k), code));
      return { kind: 'dict', entries };
    }
    case 'string-or-strings':
      return Array.isArray(x)
        ? buildValue({ type: 'array', items: { type: 'string' } }, x, path, code)
        : buildValue({ type: 'string' }, x, path, code);
    case 'payloads': {
      if (!Array.isArray(x)) throw expect('an array of payloads');
      return {
        kind: 'array',
        items: x.map((payload: unknown, i) => {
          const p = joinIndexPath(path, i);
          const type = isPlainObject(payload) ? payload['PayloadType'] : undefined;
          if (typeof type !== 'string' || !(KNOWN_PAYLOAD_TYPES as readonly string[]).includes(type)) {
            throw invalid(
              joinKeyPath(p, 'PayloadType'),
              `${joinKeyPath(p, 'PayloadType')} is ${JSON.stringify(type)}; the encoder writes only ${KNOWN_PAYLOAD_TYPES.join(', ')}.`,
              code,
            );
          }
          return buildDict(
            payload,
            [...COMMON_PAYLOAD_KEYS, ...PAYLOAD_KEYS[type as (typeof KNOWN_PAYLOAD_TYPES)[number]]],
            p,
            code,
          );
        }),
      };
    }
  }
}

/**
 * Builds a `<dict>` tree from `obj` following `keys`. Throws `code` for unknown keys and wrong JS types.
 * The `payloads` value type accepts the four certificate payload types and SCEP (the encoder's scope).
 */
export function buildDictFromSpec(obj: unknown, keys: readonly KeySpec[], code: ProblemCode): PlistValue {
  return buildDict(obj, keys, '', code);
}
