import { ShapeError, type Tensor } from '@gradscope/core';

/** Labels as one-hot rows, checked to be integer classes in [0, classes). */
export function oneHot(target: Tensor, classes: number): Float32Array {
  const out = new Float32Array(target.data.length * classes);
  target.data.forEach((label, i) => {
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ShapeError(`target[${i}]: crossEntropy expects an integer class label in [0, ${classes}), got ${label}`);
    }
    out[i * classes + label] = 1;
  });
  return out;
}
