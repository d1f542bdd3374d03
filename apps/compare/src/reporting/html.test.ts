import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { asCompareResults } from '../commands/report.js';
import type { CompareResults } from '../compare/results.js';
import { escapeHtml, renderReportHtml } from './html.js';

// Issue #19 item 6: a results.json someone sent must not put markup into index.html.
const committed = fileURLToPath(new URL('../__fixtures__/results-0.1.0-mnist-full.json', import.meta.url));
const payload = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`;

/** The committed run with every free-text string (names, labels, reasons, verdicts, machine, times) replaced by markup. */
function hostileResults(): CompareResults {
  const results = asCompareResults(JSON.parse(readFileSync(committed, 'utf8')), committed);
  const freeText = new Set(['backend', 'name', 'label', 'reason', 'workload', 'worstParam', 'text', 'claim', 'startedAt', 'cpuModel', 'os', 'arch', 'node', 'version', 'device', 'semantics', 'gradscopeCompareVersion', 'forgetGate', 'clip']);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        if (typeof child === 'string' && freeText.has(k) && k !== 'name') (v as Record<string, unknown>)[k] = payload;
        else walk(child);
      }
    }
  };
  walk(results);
  for (const b of results.backends) b.name = `${b.name}${payload}`; // stays distinct, so charts still draw a line each
  for (const row of results.agreement.rows) row.spec = payload;
  results.skipped.push({ backend: payload, experiment: 'depth', workload: payload, kind: 'failed', reason: payload });
  return results;
}

describe('the HTML report escapes every string it shows', () => {
  it('no markup from results.json reaches the page (names, labels, reasons, verdicts, machine, table cells)', () => {
    const html = renderReportHtml(hostileResults());
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain(escapeHtml(payload));
  });

  it('a seed that is not a number (the reported exploit) is escaped even when the schema is bypassed', () => {
    const results = hostileResults();
    (results as unknown as { seed: string }).seed = payload;
    expect(renderReportHtml(results)).not.toMatch(/<script|<img/i);
  });

  it('escapeHtml covers both quote kinds, so attribute values are safe too', () => {
    expect(escapeHtml(`a"b'c<d>&`)).toBe('a&quot;b&#39;c&lt;d&gt;&amp;');
  });
});

describe('the time section', () => {
  it('counts the seeds that ran, not the suite setting (a `--only` run may leave some out)', () => {
    const file = fileURLToPath(new URL('../../../../docs/reports/time-full-tfjs-brain/results.json', import.meta.url));
    const results = asCompareResults(JSON.parse(readFileSync(file, 'utf8')), file);
    expect([results.suite.time.seeds, results.only]).toEqual([3, '^(rnn|gru|lstm chrono\\S*) T=200 seed [01]$']);
    expect(renderReportHtml(results)).toContain('1000 adam steps (lr 0.01, norm clip 1), 2 seeds.');
  });
});
