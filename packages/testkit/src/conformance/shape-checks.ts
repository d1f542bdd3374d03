import { formatShape, tensor, type Backend, type Batch, type LossName, type NetworkSpec, type ParamSet, type Tensor } from '@gradscope/core';
import { expectGradscopeError } from './errors.js';
import { withModel } from './models.js';
import { runCheck, type CheckLog, type CheckResult } from './result.js';

const filled = (shape: readonly number[]): Tensor => tensor(shape, new Float32Array(shape.reduce((n, d) => n * d, 1)).fill(0.5));

/** A ShapeError whose message names both the shape it got and the size it expected. */
async function expectShapeError(log: CheckLog, what: string, action: () => unknown, mustMention: readonly string[]): Promise<void> {
  const message = await expectGradscopeError(log, what, 'SHAPE_MISMATCH', 'ShapeError', action);
  if (message === undefined) return;
  for (const m of mustMention) log.expect(message.includes(m), `${what}: the ShapeError message does not mention ${m}: "${message}"`);
}

/**
 * Invalid inputs and targets are ShapeErrors with a message that says what was given and what was expected:
 * a wrong feature size, a wrong rank, data that does not fill the shape, a target of the wrong shape and — when the
 * backend declares crossEntropy — a class label out of range.
 */
export function checkInputShapes(backend: Backend, spec: NetworkSpec, params: ParamSet, batch: Batch, loss: LossName): Promise<CheckResult> {
  const shape = batch.input.shape;
  const last = shape.length - 1;
  const wrongSize = shape.map((d, i) => (i === last ? d + 1 : d));
  const wrongRank = spec.kind === 'residual' ? [shape[0]!, 1, spec.inputSize] : [shape[0]!, spec.inputSize];
  return runCheck((log) =>
    withModel(backend, spec, params, async (model) => {
      const inputSize = String(spec.inputSize);
      await expectShapeError(log, `forward(${formatShape(wrongSize)})`, () => model.forward(filled(wrongSize)), [formatShape(wrongSize), inputSize]);
      await expectShapeError(log, `forward(${formatShape(wrongRank)})`, () => model.forward(filled(wrongRank)), [formatShape(wrongRank), inputSize]);
      const short: Tensor = { shape: [...shape], data: batch.input.data.slice(1) };
      await expectShapeError(log, `forward with ${short.data.length} values for shape ${formatShape(shape)}`, () => model.forward(short), [formatShape(shape)]);
      await expectShapeError(log, `computeGradients with a wrong input`, () => model.computeGradients({ ...batch, input: filled(wrongSize) }, loss), [formatShape(wrongSize)]);
      const badTarget = filled([...batch.target.shape.slice(0, -1), (batch.target.shape.at(-1) ?? 0) + 1]);
      await expectShapeError(log, `computeGradients with a ${formatShape(badTarget.shape)} ${loss} target`, () => model.computeGradients({ ...batch, target: badTarget }, loss), ['target', formatShape(badTarget.shape)]);
      if (backend.supports.losses.includes('crossEntropy')) {
        const rows = shape[0]!;
        const data = new Float32Array(rows);
        data[0] = spec.outputSize;
        const labels = tensor([rows], data);
        await expectShapeError(log, `computeGradients with class label ${spec.outputSize} of ${spec.outputSize} classes`, () => model.computeGradients({ input: batch.input, target: labels }, 'crossEntropy'), ['target', String(spec.outputSize)]);
      }
    }),
  );
}
