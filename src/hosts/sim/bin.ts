// Writes `xl`, `xentop` and `ovs-vsctl` wrappers that serve a simulated host from a state file, so a
// real sshd (and the ssh adapter) can run them like the real tools.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SIM_TOOLS = ['xl', 'xentop', 'ovs-vsctl'] as const;

/** Single-quotes a value for /bin/sh (paths are ours, but quote anyway). */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function writeSimBin(dir: string, stateFile: string): void {
  mkdirSync(dir, { recursive: true });
  const execTs = fileURLToPath(new URL('./exec.ts', import.meta.url));
  // Resolve tsx's loader to an absolute URL: under sshd the working directory is the user's home.
  const tsxEsm = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
  for (const tool of SIM_TOOLS) {
    const script = [
      '#!/bin/sh',
      `# Simulated ${tool} (kamikazi-billing test fleet); state: ${resolve(stateFile)}`,
      `exec ${sq(process.execPath)} --no-warnings --import ${sq(tsxEsm)} ${sq(execTs)} ${sq(resolve(stateFile))} ${tool} "$@"`,
      '',
    ].join('\n');
    const p = resolve(dir, tool);
    writeFileSync(p, script);
    chmodSync(p, 0o755);
  }
}
