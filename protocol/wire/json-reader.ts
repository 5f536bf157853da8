/**
 * A strict reader of one JSON message of the wire protocol: each accessor checks a key's type and throws a
 * {@link CertfleetError} naming the key path (`outcomes[2].native.platform`) instead of letting a malformed
 * message crash a handler. The clock protocol (clock-messages.ts) and the device ↔ service messages
 * (device-messages-decode.ts) read through it, each with its own error code and wording.
 */
import { CertfleetError, type ErrorCode } from '../../pki/errors.ts';

/** A decoded JSON object. */
export type JsonObject = Record<string, unknown>;

/** Which protocol a reader reads: its error code and how its messages are named (`A clock message`). */
export interface JsonProtocol {
  code: ErrorCode;
  /** The start of every error message: `A clock message`, `A device message`. */
  label: string;
}

/** Reads one JSON object (or a nested one, at `path`). */
export class JsonReader {
  constructor(
    readonly protocol: JsonProtocol,
    readonly where: string,
    readonly obj: JsonObject,
    readonly path: string,
  ) {}

  fail(path: string, problem: string): never {
    throw new CertfleetError(
      this.protocol.code,
      `${this.protocol.label} on ${this.where} is malformed: ${path === '' ? 'the message' : path} ${problem}.`,
      { details: { topic: this.where, path } },
    );
  }

  /** `key` inside this object's path. */
  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  /** Every key of `required` is present, and no key outside `required` and `optional`. */
  keys(required: readonly string[], optional: readonly string[] = []): void {
    for (const k of required) if (!(k in this.obj)) this.fail(this.at(k), 'is missing');
    for (const k of Object.keys(this.obj)) {
      if (!required.includes(k) && !optional.includes(k)) this.fail(this.at(k), 'is not a known key');
    }
  }

  string(key: string, pattern?: RegExp): string {
    const v = this.obj[key];
    if (typeof v !== 'string' || v === '') this.fail(this.at(key), 'must be a non-empty string');
    if (pattern && !pattern.test(v)) this.fail(this.at(key), `must match ${pattern}`);
    return v;
  }

  /** A string that may be empty (a message text), or matching `pattern` when it is not. */
  text(key: string, pattern?: RegExp): string {
    const v = this.obj[key];
    if (typeof v !== 'string') this.fail(this.at(key), 'must be a string');
    if (pattern && v !== '' && !pattern.test(v)) this.fail(this.at(key), `must be empty or match ${pattern}`);
    return v;
  }

  optionalString(key: string, pattern?: RegExp): string | undefined {
    return key in this.obj ? this.string(key, pattern) : undefined;
  }

  /** One of `values`. */
  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.obj[key];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(this.at(key), `must be one of ${values.join(', ')}`);
    }
    return v as T;
  }

  int(key: string, min = 0): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.fail(this.at(key), `must be an integer ≥ ${min}`);
    }
    return v;
  }

  instant(key: string): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      this.fail(this.at(key), 'must be an instant (integer epoch milliseconds)');
    }
    return v;
  }

  boolean(key: string): boolean {
    const v = this.obj[key];
    if (typeof v !== 'boolean') this.fail(this.at(key), 'must be true or false');
    return v;
  }

  object(key: string): JsonReader {
    const v = this.obj[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(this.at(key), 'must be an object');
    return new JsonReader(this.protocol, this.where, v as JsonObject, this.at(key));
  }

  array(key: string): unknown[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) this.fail(this.at(key), 'must be an array');
    return v;
  }

  /** Element `i` of the array at `key` (already read with {@link array}), as an object. */
  element(key: string, i: number, value: unknown): JsonReader {
    const path = `${this.at(key)}[${i}]`;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(path, 'must be an object');
    return new JsonReader(this.protocol, this.where, value as JsonObject, path);
  }
}

/**
 * Parses `payload` as one JSON object.
 * @throws CertfleetError `protocol.code` when it is not JSON or not an object.
 */
export function readJsonObject(protocol: JsonProtocol, where: string, payload: Buffer): JsonReader {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new CertfleetError(
      protocol.code,
      `${protocol.label} on ${where} is not JSON: ${(err as Error).message}.`,
      { cause: err, details: { topic: where } },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CertfleetError(protocol.code, `${protocol.label} on ${where} is not a JSON object.`, {
      details: { topic: where },
    });
  }
  return new JsonReader(protocol, where, value as JsonObject, '');
}
