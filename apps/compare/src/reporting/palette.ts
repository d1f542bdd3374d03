/** One colour per backend, the same in every chart. */
const backendColors: Readonly<Record<string, string>> = {
  reference: '#555555',
  tfjs: '#e8710a',
  onnx: '#1a73e8',
  brain: '#188038',
  'brain-stock': '#9334e6',
  'onnx-node': '#12b5cb',
};
const spare = ['#d01884', '#795548', '#b06000', '#5f6368'];

export function colorOf(backend: string, allBackends: readonly string[]): string {
  // own keys only: a backend named "constructor" in a received results.json is not Object's constructor
  if (Object.hasOwn(backendColors, backend)) return backendColors[backend]!;
  const unknown = allBackends.filter((b) => !Object.hasOwn(backendColors, b));
  return spare[Math.max(0, unknown.indexOf(backend)) % spare.length]!;
}
