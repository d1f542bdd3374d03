import { defineConfig } from 'vite';

// Cross-origin isolation (COOP/COEP) on the dev server and on `vite preview`: it gives the page SharedArrayBuffer,
// which onnxruntime-web and tfjs-backend-wasm need for their multi-threaded wasm builds.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  // relative asset URLs: dist/ works from any folder of any static server
  base: './',
  resolve: {
    // onnxruntime-web's default entry is the WebGPU build (a 28 MB .wasm); @gradscope/onnx needs only the wasm one
    alias: [{ find: /^onnxruntime-web$/, replacement: 'onnxruntime-web/wasm' }],
  },
  // the dev server pre-bundles the runtimes the worker imports at start-up, not on its first run (which would reload the page)
  optimizeDeps: { entries: ['index.html', 'src/worker.ts'] },
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 8000 },
});
