// Vite builds the app into web/dist, which the server serves at `/`. The workspace packages are read from their
// TypeScript sources, so building the app needs no earlier build step.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const source = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      { find: /^@realtime-hub\/protocol$/, replacement: source('../packages/protocol/src/index.ts') },
      { find: /^@realtime-hub\/client\/react$/, replacement: source('../packages/client/src/react/index.ts') },
      { find: /^@realtime-hub\/client$/, replacement: source('../packages/client/src/index.ts') },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'http://127.0.0.1:3000', ws: true },
    },
  },
});
