/** Escaping for report.html: text in HTML and JSON inside a `<script>` element. */

/** Escapes text for HTML content and double- or single-quoted attributes. */
export function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON for embedding inside a `<script>` element: `<`, `>` and `&` as `\u` escapes (so neither
 * `</script>` nor `<!--` can appear), and the two line separators JavaScript once rejected in strings.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
