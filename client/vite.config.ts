import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

// The app is served at `/` by the gateway (one machine) or a static container (Kubernetes),
// with the API under /api on the same origin. `npm run dev -w client` proxies /api to
// LUMINA_API (default: the local gateway).
const api = process.env.LUMINA_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  // The typed API client and its route tables, bundled from @lumina/contract's sources. The app
  // imports only this entry at run time (the package's index also carries the OpenAPI generator).
  resolve: {
    alias: { '@lumina/contract/client': fileURLToPath(new URL('../contract/src/client.ts', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 250,
    rolldownOptions: {
      output: {
        // Libraries change less often than the app: their own chunks stay cached across deploys.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'router', test: /node_modules[\\/](react-router|cookie|set-cookie-parser)[\\/]/ },
            // zod, under the API contract's schemas (the typed client's route tables carry them).
            { name: 'zod', test: /node_modules[\\/]zod[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: { '/api': { target: api, changeOrigin: false, ws: false } },
  },
});
