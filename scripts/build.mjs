// Compiles the service and the benchmarks to plain JavaScript in dist/ (esbuild, the one tsx uses), so that
// `npm start` and `npm run bench` run without a TypeScript loader: tsx's module hooks run in a thread with a V8
// isolate of its own and keep the transformed sources, ~60 MB of the service's RSS. Takes well under a second;
// package.json runs it before `start` and `bench`. Development (tests, bin/kamikazi) still runs the sources.
import { readFile, rm } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist`;

// Some modules find files beside their source through import.meta.url (migrations/, portal static files, the
// bench's sim fleet process). In a bundle import.meta.url is the output file's, so each source file gets its
// own URL back, relative to dist/ (every output file is directly in dist/) so the checkout can still move.
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.(m?ts|tsx)$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const own = `new URL(${JSON.stringify(relative(outdir, args.path).split('\\').join('/'))}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', own), loader: args.path.endsWith('.tsx') ? 'tsx' : 'ts' };
    });
  },
};

await rm(outdir, { recursive: true, force: true }); // chunk names carry content hashes: no stale ones left
await build({
  entryPoints: { cli: `${root}src/cli.ts`, bench: `${root}bench/run.mts` },
  outdir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true, // the CLI loads each subcommand lazily; so do the chunks
  packages: 'external', // node_modules stay as they are, resolved by Node at run time
  platform: 'node',
  format: 'esm',
  target: 'node20',
  keepNames: true,
  sourcemap: 'linked', // for NODE_OPTIONS=--enable-source-maps when a stack trace needs source lines
  logLevel: 'warning',
  plugins: [sourceUrls],
});
