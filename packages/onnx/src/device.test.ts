import { afterEach, describe, expect, it, vi } from 'vitest';

/** A fresh copy of device.ts (it caches the loaded onnxruntime-node), with Node's module loader replaced. */
async function freshDeviceModule(getBuiltinModule: ((id: string) => unknown) | undefined): Promise<typeof import('./device.js')> {
  vi.resetModules();
  Object.defineProperty(process, 'getBuiltinModule', { value: getBuiltinModule, configurable: true, writable: true });
  return import('./device.js');
}

const original = process.getBuiltinModule;
afterEach(() => {
  Object.defineProperty(process, 'getBuiltinModule', { value: original, configurable: true, writable: true });
});

describe('onnx devices', () => {
  it('names the install command when onnxruntime-node is missing', async () => {
    const missing = () => ({ createRequire: () => () => { throw new Error("Cannot find module 'onnxruntime-node'\nRequire stack: ..."); } });
    const { loadOrtRuntime } = await freshDeviceModule(missing);
    // core is re-imported with the module, so check the error's code, not its class identity
    expect(() => loadOrtRuntime('node')).toThrow(expect.objectContaining({ code: 'NOT_SUPPORTED', backend: 'onnx' }));
    expect(() => loadOrtRuntime('node')).toThrow(
      "onnx backend does not support device \"node\": cannot load onnxruntime-node (Cannot find module 'onnxruntime-node'); install it next to @gradscope/onnx: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0",
    );
    expect(loadOrtRuntime('wasm').packageName).toBe('onnxruntime-web');
  });

  it('says to use wasm where there is no Node.js module loader (a browser)', async () => {
    const { loadOrtRuntime } = await freshDeviceModule(undefined);
    expect(() => loadOrtRuntime('node')).toThrow('it needs Node.js >= 20.16 (use device "wasm" in a browser)');
  });
});
