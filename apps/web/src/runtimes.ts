import { createBrainBackend } from '@gradscope/brain';
import type { Backend } from '@gradscope/core';
import { createOnnxBackend } from '@gradscope/onnx';
import { createTfjsBackend } from '@gradscope/tfjs';
import * as tf from '@tensorflow/tfjs';
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

/**
 * A hardware WebGL2 context in this worker (OffscreenCanvas). A software rasterizer (SwiftShader, llvmpipe: what
 * headless Chromium without a GPU offers) does not count: tfjs-webgl on it was slower than tfjs-wasm here (114 vs 54
 * ms per step of an 8-block dense net, and no LSTM step at all within 25 s against ~0.35 s per step on wasm).
 */
function hasHardwareWebgl(): boolean {
  try {
    if (typeof OffscreenCanvas === 'undefined') return false;
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    return !/swiftshader|llvmpipe|software/i.test(renderer);
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
        // setWasmPaths wants all three, though the threaded build is switched off below
        'tfjs-backend-wasm-threaded-simd.wasm': absolute(tfjsWasmThreaded),
      });
      // the threaded build's pthread workers fail to start from a bundled worker ("e is not defined"); the
      // single-threaded SIMD build is also what tfjs runs in Node
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      const device = tfjsDevice === 'auto' ? (hasHardwareWebgl() ? 'webgl' : 'wasm') : tfjsDevice;
      return createTfjsBackend({ backend: device });
    }
    case 'onnx':
      ort.env.wasm.wasmPaths = { wasm: absolute(ortWasm) };
      return createOnnxBackend();
    case 'brain':
      return createBrainBackend();
  }
}
