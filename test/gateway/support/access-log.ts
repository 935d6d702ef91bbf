import { readFile } from 'node:fs/promises';

/**
 * A JSON log file (the gateway's access log), one record per line. Only newline-terminated lines
 * count: nginx may be writing the next one while the test reads the file.
 */
export async function jsonLogRecords(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
