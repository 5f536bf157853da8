/**
 * Limits on hostile input, in one place (issue 10 point 4). Every decoder and loader that reads something a
 * person or a peer hands it checks these before it spends memory, stack or time, and refuses what exceeds
 * them with its own coded error (PLIST_PARSE, SYNCML_PARSE, ANDROID_POLICY_PARSE, GRAPH_PARSE,
 * SCENARIO_INVALID …) and a message that names the limit. docs/errors.md "Input limits" lists them.
 */

/** Deepest nesting of maps/lists a decoder follows (plist, SyncML, Android policy JSON, Graph JSON, YAML). */
export const MAX_NESTING_DEPTH = 64;

/** Largest scenario file read (bytes). The shipped scenarios are under 10 KB. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

/**
 * Most YAML nodes a scenario may expand to once its aliases are resolved. An alias bomb (`a: &a [x,x,…]`,
 * `b: &b [*a,*a,…]` …) is a few hundred bytes that would expand to billions of nodes.
 */
export const MAX_SCENARIO_NODES = 100_000;

/** Most aliases (`*name`) a scenario may use; yaml's own `maxAliasCount` default is 100. */
export const MAX_SCENARIO_ALIASES = 100;

/** Longest free text (`description:`) in a scenario, in characters. */
export const MAX_DESCRIPTION_CHARS = 10_000;

/** Longest virtual duration a scenario may give (`duration:`, intervals, action times): 10 years. */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/** Largest native payload a device decodes (a .mobileconfig, a SyncML message, an Android policy), bytes. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/**
 * Longest base64 value decoded (a `<data>`, a SyncML `b64` node, an Android PKCS#12): 1 MiB of text, about
 * 768 KB of bytes. A certificate chain or PKCS#12 is a few KB.
 */
export const MAX_BASE64_CHARS = 1024 * 1024;

/** Largest JSON document parsed (Graph profile, device file), bytes. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

/** A byte count for messages: `1 MiB`, `4 MiB`, `12 KiB`, `300 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
