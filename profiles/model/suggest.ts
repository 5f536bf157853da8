/**
 * "Did you mean …?" for typos — scenario keys and values, certificate variables, Graph properties: the
 * closest valid word by edit distance (Damerau–Levenshtein, optimal string alignment), case-insensitive.
 */

/** Longest word a suggestion is looked for (keys, values and variable names are far shorter). */
const MAX_SUGGEST_LENGTH = 200;

/** Edit distance between `a` and `b` counting insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      const row = d[i]!;
      const prev = d[i - 1]!;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      row[j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The candidate closest to `word`, when it is close enough to be a likely typo (distance at most a third of
 * the longer word, at least 1), or when one candidate starts with / contains the word.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  // a text this long is no typo of a key or value; the distance would cost length × length (issue 10)
  if (word.length > MAX_SUGGEST_LENGTH) return undefined;
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    // the distance is at least the difference in length: skip what cannot beat the best so far
    if (Math.abs(word.length - c.length) >= bestD) continue;
    const dist = editDistance(word, c);
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  if (bestD <= limit) return best;
  const lower = word.toLowerCase();
  if (lower.length >= 3) {
    for (const c of candidates) if (c.toLowerCase().startsWith(lower)) return c;
  }
  return undefined;
}

/** `: did you mean 'x'?` or the list of valid values when nothing is close. */
export function suggestion(word: string, candidates: readonly string[], listUpTo = 12): string {
  const c = closest(word, candidates);
  if (c !== undefined) return `: did you mean '${c}'?`;
  return candidates.length <= listUpTo ? ` (use one of: ${candidates.join(', ')})` : '';
}
