import * as tf from '@tensorflow/tfjs';
import { NotSupportedError } from '@gradscope/core';
import { installCopyFreeWasmSlice } from './wasm-slice.js';

/** tfjs backends gradscope can run on. `webgpu` needs `@tensorflow/tfjs-backend-webgpu` imported by the app. */
export type TfjsDevice = 'wasm' | 'cpu' | 'webgl' | 'webgpu';

export const TFJS_BACKEND_NAME = 'tfjs';

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * Makes `device` tfjs' active backend (tfjs has one global engine; two gradscope backends on different devices
 * in one process switch it before each call). Throws `NotSupportedError` when tfjs cannot run it.
 */
export async function activateDevice(device: TfjsDevice): Promise<void> {
  if (device === 'wasm') installCopyFreeWasmSlice();
  if (tf.getBackend() === device) return;
  let ok: boolean;
  try {
    ok = await tf.setBackend(device);
  } catch (e) {
    throw new NotSupportedError(TFJS_BACKEND_NAME, `device "${device}"`, `tfjs could not set it up (${(e as Error).message})`);
  }
  if (!ok) {
    throw new NotSupportedError(TFJS_BACKEND_NAME, `device "${device}"`, 'tfjs failed to initialize it in this environment (gradscope does not fall back to another device)');
  }
}
