/**
 * The built worker module `file` (its path under dist/, e.g. `compare/worker.js`) for the module at `here`: workers
 * load built JavaScript, also when tests run the TypeScript sources under src/.
 */
export function workerUrl(here: string, file: string): URL {
  const dir = here.endsWith('.ts') ? '/src/' : '/dist/';
  return new URL(`dist/${file}`, here.slice(0, here.lastIndexOf(dir) + 1));
}
