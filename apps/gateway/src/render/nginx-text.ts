/**
 * Just enough of nginx's configuration syntax to render it readably: directives are lines
 * ending in `;`, blocks indent their body by two spaces.
 */

/** A block (`http { ... }`) as lines, its body indented under the header. */
export function block(header: string, body: readonly string[]): string[] {
  return [`${header} {`, ...body.map((line) => (line === '' ? '' : `  ${line}`)), '}'];
}

/**
 * A single-quoted nginx string. nginx interpolates `$name` even inside quotes, which the JSON
 * bodies rely on for the request id; every other `$` must not reach here.
 */
export function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
