// Widget build and unit tests. The build runs twice: first the Preact app chunk
// (dist/widget/app-[hash].js, an ES module), then the vanilla loader (dist/widget.js, a classic
// script) with the app chunk's name baked in, so the loader finds it relative to its own src.
import { build, type Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const outDir = here('./dist');
// Browsers with adoptedStyleSheets, popover and :focus-visible; older ones still work, less polished.
const cssTarget = ['chrome111', 'edge111', 'firefox128', 'safari16.4'];
// Classic h() calls: shorter than the automatic runtime's jsx(type, { children: [...] }) in the bundle.
/** Modules that stay out of the app chunk: loaded only when a visitor needs them (attachments: on sites that take files; shared/'s URL pattern: proactive only). */
const lazyModule =
  /[\\/](src[\\/]app[\\/](Forms|forms|form-strings|link|proactive|greeting|host-api|Attach|attach)\.|src[\\/]strings-(de|en)\.|preact[\\/]hooks[\\/]|shared[\\/]dist[\\/]url-pattern\.)/;
const jsx = { runtime: 'classic' as const, pragma: 'h', pragmaFrag: 'Fragment' };

/** After the app chunk is written, build the loader pointing at it. */
function loaderBuild(): Plugin {
  let appFile = '';
  return {
    name: 'servus-loader',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) if (chunk.type === 'chunk' && chunk.isEntry) appFile = chunk.fileName;
    },
    async closeBundle() {
      if (!appFile) return; // the app build failed and reported why
      await build({
        configFile: false,
        logLevel: 'warn',
        define: { __SERVUS_APP__: JSON.stringify(appFile) },
        build: {
          outDir,
          emptyOutDir: false,
          target: 'es2022',
          cssTarget,
          minify: true,
          rollupOptions: {
            input: here('./src/loader.ts'),
            output: { format: 'iife', entryFileNames: 'widget.js' },
          },
        },
      });
    },
  };
}

/**
 * Vite wraps every dynamic import in its preload helper (about 0.9 KB gzip) even with
 * modulePreload off. Our lazy chunks have no dependencies to preload, so unwrap the calls and let
 * the minifier drop the unused helper.
 */
function plainDynamicImports(): Plugin {
  return {
    name: 'servus-plain-dynamic-imports',
    apply: 'build',
    renderChunk(code) {
      if (!code.includes('__vitePreload(')) return null;
      const out = code
        .replace(/__vitePreload\((\(\) => [\s\S]*?), __VITE_PRELOAD__\)/g, '($1)()')
        .replace(/const __vitePreload = function preload[\s\S]*?\n};\n/, '');
      if (out.includes('__vitePreload('))
        throw new Error('servus: unexpected preload wrapper left in a chunk: ' + /__vitePreload\([^\n]{0,120}/.exec(out)?.[0]);
      return { code: out, map: null };
    },
  };
}

export default defineConfig({
  oxc: { jsx },
  plugins: [loaderBuild(), plainDynamicImports()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    cssTarget,
    minify: true,
    modulePreload: false,
    cssCodeSplit: false,
    rollupOptions: {
      input: here('./src/app/main.tsx'),
      // The entry may export what the lazy chunks import from it: then it is the one app chunk
      // itself, not a 43-byte facade importing it (a round trip less when the visitor opens).
      preserveEntrySignatures: 'allow-extension',
      output: {
        format: 'es',
        entryFileNames: 'widget/app-[hash].js',
        chunkFileNames: 'widget/[name]-[hash].js',
        // One app chunk with everything a visitor needs to open the panel and chat (Preact, both
        // languages, the Markdown renderer); only the rarely needed forms and proactive greetings
        // stay separate chunks. Many small chunks would compress worse than one.
        codeSplitting: {
          groups: [{ name: 'core', test: (id: string) => !lazyModule.test(id) }],
        },
      },
    },
  },
  test: {
    name: 'widget',
    root: here('.'),
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
