// The agent console build: Lit components bundled by Vite into server/console/dist, served by the
// server at /console under a strict CSP (no inline scripts, so one external module entry).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    // Inline modulepreload polyfill would be an inline script; the console targets modern browsers.
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
});
