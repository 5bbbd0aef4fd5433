// Vite build of the browser client: relative asset URLs so nginx can serve it under any path.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// `npm start` (all-in-one) serves the API and SSE on 8080; point the dev server elsewhere with TICKWATCH_DEV_API.
const devApi = process.env.TICKWATCH_DEV_API ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': devApi,
      '/connection': { target: devApi, ws: true },
    },
  },
});
