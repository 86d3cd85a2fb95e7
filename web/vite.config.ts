/** Builds the analyst console into web/dist; `vite` (dev) proxies the API to a local `vigil serve`. */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env['VIGIL_SERVER'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/api': api },
  },
});
