// Loads a parser fixture: the leading "# " lines cite the sample's origin and are not tool output.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/parsers/', import.meta.url));

export function fixture(name: string): string {
  const lines = readFileSync(FIXTURES + name, 'utf8').split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('#')) i++;
  return lines.slice(i).join('\n');
}
