/** Lines the workers render as they scan are the lines the full detections give. */
import { describe, expect, it } from 'vitest';
import { csvLine, jsonLine } from './records.ts';
import { scan } from './scan.ts';

const quickstart = new URL('../../samples/quickstart/', import.meta.url).pathname;

describe('scan with render', () => {
  it('renders in the workers exactly what the coordinator renders from whole detections', async () => {
    const plain = await scan({ paths: [quickstart], threads: 2, ruleCache: false });
    await plain.stopped;
    expect(plain.rendered.size).toBe(0);
    const kinds = new Set(plain.detections.map((d) => d.kind));
    // The sample's password guessing fires a correlation rule: its hit carries the events it counted.
    expect([...kinds].sort()).toEqual(['correlation', 'event']);
    for (const format of ['jsonl', 'csv'] as const) {
      const r = await scan({ paths: [quickstart], threads: 2, ruleCache: false, render: format });
      await r.stopped;
      const line = format === 'csv' ? csvLine : jsonLine;
      expect(r.detections.length).toBe(plain.detections.length);
      // The workers' lines come as UTF-8 bytes; the correlation hit's is rendered here, as text.
      const text = (x: string | Uint8Array | undefined): string | undefined =>
        x === undefined || typeof x === 'string' ? x : Buffer.from(x).toString('utf8');
      expect(r.detections.some((d) => r.rendered.get(d) instanceof Uint8Array)).toBe(true);
      expect(r.detections.map((d) => text(r.rendered.get(d)))).toEqual(plain.detections.map(line));
    }
  });

  it('renders only hits at or above the minimum level, and keeps the summary facts', async () => {
    const r = await scan({
      paths: [quickstart],
      threads: 2,
      ruleCache: false,
      render: 'jsonl',
      minLevel: 'high',
    });
    await r.stopped;
    expect(r.detections.length).toBeGreaterThan(0);
    expect(r.detections.every((d) => ['high', 'critical'].includes(d.rule.level))).toBe(true);
    expect(r.detections.every((d) => r.rendered.has(d))).toBe(true);
    // An event cut down for the coordinator still names its host.
    expect(r.detections.every((d) => typeof d.events[0]?.fields['Computer'] === 'string')).toBe(
      true,
    );
  });
});
