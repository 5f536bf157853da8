/**
 * MQTT topic-filter matching (MQTT 3.1.1 §4.7, "Topic Names and Topic Filters"): `+` matches one level,
 * `#` (last level only) matches the parent level and any number of levels below it. Topics starting with
 * `$` are not matched by a filter starting with a wildcard (§4.7.2).
 * @see https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718106
 */

/** True when the topic name `topic` matches the topic filter `filter`. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * True when every topic that `filter` matches lies under `prefix` (a literal topic prefix without
 * wildcards, e.g. `certfleet/acme/device/d1/in`): the filter's first levels must spell the prefix
 * literally. Used by the ACL to decide whether a subscription stays inside what an identity may read.
 */
export function filterWithin(filter: string, prefix: string): boolean {
  const f = filter.split('/');
  const p = prefix.split('/');
  if (f.length < p.length) return false;
  for (let i = 0; i < p.length; i++) {
    if (f[i] !== p[i]) return false;
  }
  return true;
}
