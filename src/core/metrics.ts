/** Prometheus-style metrics kept in memory and rendered in the text exposition format; no I/O. */

type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
}

/** A counter or gauge family: one value per label set. */
class Values {
  readonly values = new Map<string, number>();
  add(labels: Labels, by: number): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  set(labels: Labels, v: number): void {
    this.values.set(labelKey(labels), v);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
}

/** A histogram with fixed bucket bounds (seconds) that also answers quantiles from its buckets. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > (this.bounds[i] ?? Infinity)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += v;
    this.count++;
  }
  /** Upper bound of the bucket holding quantile q (0..1); Infinity when it lies past the last bound. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= target) return this.bounds[i] ?? Infinity;
    }
    return Infinity;
  }
}

export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60,
] as const;

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly values = new Map<string, Values>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly gauges = new Map<string, () => number>();

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const v = this.family(name, help, 'counter');
    return (labels = {}, by = 1) => {
      v.add(labels, by);
    };
  }

  /** A gauge read from `read` at render time. */
  gauge(name: string, help: string, read: () => number): void {
    this.families.set(name, { name, help, type: 'gauge' });
    this.gauges.set(name, read);
  }

  histogram(name: string, help: string, bounds: readonly number[] = LATENCY_BUCKETS): Histogram {
    this.families.set(name, { name, help, type: 'histogram' });
    let h = this.histograms.get(name);
    if (!h) {
      h = new Histogram(bounds);
      this.histograms.set(name, h);
    }
    return h;
  }

  /** Current value of a counter for a label set (0 when never counted). */
  value(name: string, labels: Labels = {}): number {
    return this.values.get(name)?.get(labels) ?? 0;
  }

  /** Sum of a counter over all label sets. */
  total(name: string): number {
    let n = 0;
    for (const v of this.values.get(name)?.values.values() ?? []) n += v;
    return n;
  }

  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      if (f.type === 'histogram') {
        const h = this.histograms.get(f.name);
        if (!h) continue;
        let cum = 0;
        h.bounds.forEach((b, i) => {
          cum += h.counts[i] ?? 0;
          out.push(`${f.name}_bucket{le="${b}"} ${cum}`);
        });
        cum += h.counts[h.bounds.length] ?? 0;
        out.push(
          `${f.name}_bucket{le="+Inf"} ${cum}`,
          `${f.name}_sum ${h.sum}`,
          `${f.name}_count ${h.count}`,
        );
      } else if (this.gauges.has(f.name)) {
        out.push(`${f.name} ${this.gauges.get(f.name)?.() ?? 0}`);
      } else {
        const vals = this.values.get(f.name);
        if (!vals || vals.values.size === 0) continue;
        for (const [k, v] of vals.values) out.push(k ? `${f.name}{${k}} ${v}` : `${f.name} ${v}`);
      }
    }
    return out.join('\n') + '\n';
  }

  private family(name: string, help: string, type: 'counter'): Values {
    if (!this.families.has(name)) this.families.set(name, { name, help, type });
    let v = this.values.get(name);
    if (!v) {
      v = new Values();
      this.values.set(name, v);
    }
    return v;
  }
}
