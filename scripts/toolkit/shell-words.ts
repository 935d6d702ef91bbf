/** `text` as one word of a POSIX shell command line, whatever it holds: single-quoted, its own single quotes spelled `'\''`. */
export const shellWord = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
