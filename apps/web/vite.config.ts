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
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 8000 },
});
