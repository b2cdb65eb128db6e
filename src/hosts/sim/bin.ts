// Writes `xl`, `xentop` and `ovs-vsctl` wrappers that serve a simulated host from a state file, so a
// real sshd (and the ssh adapter) can run them like the real tools.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SIM_TOOLS = ['xl', 'xentop', 'ovs-vsctl'] as const;

/** Single-quotes a value for /bin/sh (paths are ours, but quote anyway). */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface EsbuildLike {
  buildSync(o: { entryPoints: string[]; bundle: boolean; platform: 'node'; format: 'esm'; target: string; outfile: string; logLevel: 'error' }): unknown;
}

/**
 * Bundles exec.ts into one plain-JS file with esbuild (installed with tsx): each tool call then costs
 * ~0.2 s of CPU instead of ~1 s through tsx's loader, which matters when sshd runs three per sample.
 * Returns null when esbuild is unavailable; the wrappers then run exec.ts through tsx.
 */
function bundleExec(execTs: string, dir: string): string | null {
  const require = createRequire(import.meta.url);
  let esbuild: EsbuildLike;
  try {
    esbuild = require('esbuild') as EsbuildLike;
  } catch {
    return null;
  }
  const outfile = join(dir, '.kamikazi-sim-exec.mjs');
  esbuild.buildSync({ entryPoints: [execTs], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'error' });
  return outfile;
}

/** Writes the three wrappers into `dir` (absolute paths baked in; node is process.execPath). */
export function writeSimBin(dir: string, stateFile: string, opts: { bundle?: boolean } = {}): void {
  const absDir = resolve(dir);
  mkdirSync(absDir, { recursive: true });
  const execTs = fileURLToPath(new URL('./exec.ts', import.meta.url));
  const bundled = opts.bundle === false ? null : bundleExec(execTs, absDir);
  // Resolve tsx's loader to an absolute URL: under sshd the working directory is the user's home.
  const entry = bundled
    ? sq(bundled)
    : `--import ${sq(pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href)} ${sq(execTs)}`;
  for (const tool of SIM_TOOLS) {
    const script = [
      '#!/bin/sh',
      `# Simulated ${tool} (kamikazi-billing test fleet, source src/hosts/sim/exec.ts); state: ${resolve(stateFile)}`,
      `exec ${sq(process.execPath)} --no-warnings ${entry} ${sq(resolve(stateFile))} ${tool} "$@"`,
      '',
    ].join('\n');
    const p = join(absDir, tool);
    writeFileSync(p, script);
    chmodSync(p, 0o755);
  }
}
