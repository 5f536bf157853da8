/**
 * A typed XML property-list value tree.
 *
 * Unlike a plain JavaScript object, every node keeps its plist element type, so `<string>` and `<data>`,
 * `<integer>` and `<real>` stay distinguishable (the lenient `plist` npm package loses this). The reader
 * also records where each node starts in the source, so that problems can quote a line and column.
 *
 * Models the element vocabulary of Apple's `PropertyList-1.0.dtd` (docs/formats.md §1; the DTD named in every
 * `.mobileconfig` DOCTYPE, e.g. the samples of Apple's developer documentation).
 */

/** Where a node starts in the XML source (1-based), when it came from the reader. */
export interface PlistLocation {
  readonly line: number;
  readonly column: number;
}

/** A `<string>`. */
export interface PlistString {
  readonly kind: 'string';
  readonly value: string;
  readonly loc?: PlistLocation;
}
/** A `<data>` (base64 in XML, raw bytes here). */
export interface PlistData {
  readonly kind: 'data';
  readonly value: Buffer;
  readonly loc?: PlistLocation;
}
/** An `<integer>` (a safe JavaScript integer; larger values are refused by the reader). */
export interface PlistInteger {
  readonly kind: 'integer';
  readonly value: number;
  readonly loc?: PlistLocation;
}
/** A `<real>`. */
export interface PlistReal {
  readonly kind: 'real';
  readonly value: number;
  readonly loc?: PlistLocation;
}
/** `<true/>` or `<false/>`. */
export interface PlistBoolean {
  readonly kind: 'boolean';
  readonly value: boolean;
  readonly loc?: PlistLocation;
}
/** A `<date>` (ISO 8601, UTC, whole seconds: `2025-01-31T12:00:00Z`). */
export interface PlistDate {
  readonly kind: 'date';
  readonly value: Date;
  readonly loc?: PlistLocation;
}
/** An `<array>`. */
export interface PlistArray {
  readonly kind: 'array';
  readonly items: readonly PlistValue[];
  readonly loc?: PlistLocation;
}
/** A `<dict>`; insertion order is kept, the writer sorts keys. */
export interface PlistDict {
  readonly kind: 'dict';
  readonly entries: ReadonlyMap<string, PlistValue>;
  readonly loc?: PlistLocation;
}

/** Any property-list value. */
export type PlistValue =
  PlistString | PlistData | PlistInteger | PlistReal | PlistBoolean | PlistDate | PlistArray | PlistDict;

/** The element kinds of {@link PlistValue}, named as the XML elements (`dict`, `data`, …). */
export type PlistKind = PlistValue['kind'];

/** The XML element that carries a value of this kind (for messages: `<data>`, `<true/>|<false/>`). */
export function plistElementName(kind: PlistKind): string {
  return kind === 'boolean' ? '<true/> or <false/>' : `<${kind}>`;
}

/** Builds a `<dict>` node from `[key, value]` pairs (insertion order kept). */
export function plistDict(entries: Iterable<readonly [string, PlistValue]>): PlistDict {
  return { kind: 'dict', entries: new Map(entries) };
}
