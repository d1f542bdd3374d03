import { createBrainBackend } from '@gradscope/brain';
import type { Backend } from '@gradscope/core';
import { createOnnxBackend } from '@gradscope/onnx';
import { createTfjsBackend } from '@gradscope/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import tfjsWasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import tfjsWasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as ort from 'onnxruntime-web';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { TfjsDeviceChoice, WebBackend } from './state.js';

// Creating the three backends inside a Web Worker. Every .wasm file is an asset of this build (Vite copies it into
// dist/assets), never fetched from a CDN.

const absolute = (url: string): string => new URL(url, self.location.href).href;

/** WebGL in a worker needs OffscreenCanvas; headless Chromium without a GPU has no WebGL context at all. */
function hasWebgl(): boolean {
  try {
    return typeof OffscreenCanvas !== 'undefined' && new OffscreenCanvas(1, 1).getContext('webgl2') !== null;
  } catch {
    return false;
  }
}

export async function createWebBackend(name: WebBackend, tfjsDevice: TfjsDeviceChoice): Promise<Backend> {
  switch (name) {
    case 'tfjs': {
      setWasmPaths({
        'tfjs-backend-wasm.wasm': absolute(tfjsWasm),
        'tfjs-backend-wasm-simd.wasm': absolute(tfjsWasmSimd),
        'tfjs-backend-wasm-threaded-simd.wasm': absolute(tfjsWasmThreaded),
      });
      const device = tfjsDevice === 'auto' ? (hasWebgl() ? 'webgl' : 'wasm') : tfjsDevice;
      return createTfjsBackend({ backend: device });
    }
    case 'onnx':
      ort.env.wasm.wasmPaths = { wasm: absolute(ortWasm) };
      return createOnnxBackend();
    case 'brain':
      return createBrainBackend();
  }
}
