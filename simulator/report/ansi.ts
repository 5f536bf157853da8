/**
 * ANSI styling for the console reports, and the one rule that decides whether to use it: colour only on a
 * terminal, never when `NO_COLOR` is set to a non-empty value (https://no-color.org/), always when
 * `FORCE_COLOR` is set to a non-empty value other than `0`.
 */

/** The styles the reports use. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'magenta';

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  magenta: [35, 39],
};

/** A painter: wraps text in a style, or returns it unchanged when colour is off. */
export type Paint = (style: Style, text: string) => string;

/** A painter for `color` on or off. */
export function painter(color: boolean): Paint {
  if (!color) return (_style, text) => text;
  return (style, text) => {
    const [on, off] = CODES[style];
    return text === '' ? text : `\u001b[${on}m${text}\u001b[${off}m`;
  };
}

/** Whether to colour output written to a stream with this `isTTY`, given the environment. */
export function shouldColor(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return isTTY === true;
}

/** Removes ANSI escape sequences (for width computations and for tests). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

/**
 * Collapses text from the run (messages, names) to one printable line: newlines from native payloads
 * become spaces, and control characters — an escape sequence in a device name included — are dropped.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}
