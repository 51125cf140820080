// `npm run size:client`: the client core's size on top of socket.io-client, as an app bundle would carry it:
// packages/client bundled by esbuild, minified, with socket.io-client left external (the app has it anyway) and
// everything else the core imports (the protocol, openapi-fetch) inside. Prints min and min+gzip bytes and the
// largest inputs from esbuild's metafile.
import { build } from 'esbuild';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '..');

/** An esbuild plugin that takes the protocol from its sources, so no build step is needed first. */
export const protocolFromSources = {
  name: 'protocol-source',
  setup(b) {
    b.onResolve({ filter: /^@realtime-hub\/protocol$/ }, () => ({
      path: join(root, 'packages/protocol/src/index.ts'),
    }));
  },
};

/** Bundles one entry point of the client; answers its sizes and the bytes each input contributes. */
export async function measureClient(entry = 'packages/client/src/index.ts') {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    external: ['socket.io-client', 'react'],
    logLevel: 'silent',
    plugins: [protocolFromSources],
  });
  const code = result.outputFiles[0].contents;
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, inputs, imports: output.imports };
}

if (process.argv[1] === import.meta.filename) {
  for (const entry of ['packages/client/src/index.ts', 'packages/client/src/react/index.ts']) {
    const { minified, gzipped, inputs } = await measureClient(entry);
    process.stdout.write(`${entry}: ${minified} B min, ${gzipped} B min+gzip (socket.io-client and react external)\n`);
    for (const input of inputs.slice(0, 8))
      process.stdout.write(`  ${String(input.bytes).padStart(7)}  ${input.path}\n`);
  }
}
