import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const from = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // Nest's dependency injection reads decorator metadata, which esbuild does not emit.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: {
      '@app/cache': from('./libs/cache/src/index.ts'),
      '@app/config': from('./libs/config/src/index.ts'),
      '@app/interact-client': from('./libs/interact-client/src/index.ts'),
      '@app/interact': from('./libs/interact/src/index.ts'),
    },
  },
  test: {
    include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Test files start servers and share one Redis; run them one file at a time on 2 cores.
    fileParallelism: false,
  },
});
