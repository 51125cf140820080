// The client core's size on top of socket.io-client (README: "Client SDK"), measured with esbuild's metafile.
// @ts-expect-error -- a plain ESM script shared with `npm run size:client`, without type declarations
import { measureClient } from '../../scripts/client-size.mjs';

describe('Client bundle size', () => {
  it('should keep the core under 10 KB min+gzip, with socket.io-client and React left out', async () => {
    const core = await measureClient('packages/client/src/index.ts');
    expect(core.gzipped).toBeLessThan(10 * 1024);
    const inputs: string[] = core.inputs.map((i: { path: string }) => i.path);
    expect(inputs.some((p) => p.includes('node_modules/socket.io-client'))).toBe(false);
    expect(inputs.some((p) => p.includes('node_modules/react'))).toBe(false);
    expect(inputs).toEqual(
      expect.arrayContaining(['packages/client/src/client.ts', 'packages/protocol/src/events.ts']),
    );
    expect(core.imports.map((i: { path: string }) => i.path)).toEqual(['socket.io-client']);
  }, 60_000);
});
