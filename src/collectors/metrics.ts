// An in-house Prometheus registry (text exposition format 0.0.4; no dependency) and the collector's metrics.
// `renderMetrics()` is what /metrics serves.

type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
const labelText = (l: Labels) => {
  const keys = Object.keys(l).sort();
  return keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(l[k]!)}"`).join(',')}}`;
};
const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

interface Metric {
  render(): string;
}

class LabelledValues {
  protected readonly values = new Map<string, { labels: Labels; value: number }>();
  protected entry(labels: Labels) {
    const k = labelText(labels);
    let e = this.values.get(k);
    if (!e) this.values.set(k, (e = { labels, value: 0 }));
    return e;
  }
}

export class Counter extends LabelledValues implements Metric {
  constructor(readonly name: string, readonly help: string) {
    super();
  }
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    this.entry(labels).value += by;
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${num(value)}`);
    return lines.join('\n');
  }
}

export class Gauge extends LabelledValues implements Metric {
  constructor(readonly name: string, readonly help: string) {
    super();
  }
  set(value: number, labels: Labels = {}): void {
    this.entry(labels).value = value;
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${num(value)}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    this.buckets.forEach((b, i) => {
      if (value <= b) this.counts[i]! += 1;
    });
  }
  get observations(): number {
    return this.count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${num(b)}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${num(this.sum)}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

/** The process-wide registry (one per process: Prometheus scrapes each replica). */
export const registry = new Registry();

export const collectorMetrics = {
  polls: registry.register(new Counter('kamikazi_polls_total', 'Host polls attempted, by result (ok, failed, lease_lost).')),
  pollFailures: registry.register(new Counter('kamikazi_poll_failures_total', 'Failed host polls, by host.')),
  samplesWritten: registry.register(new Counter('kamikazi_samples_written_total', 'VM samples written (deltas and state), stale ones excluded.')),
  anomalies: registry.register(new Counter('kamikazi_meter_anomalies_total', 'Counter jumps flagged as impossible and not billed.')),
  pollDuration: registry.register(
    new Histogram('kamikazi_poll_duration_seconds', 'Per-host time from sample request to parsed sample.', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  ),
  lastCycleDuration: registry.register(new Gauge('kamikazi_poll_cycle_last_duration_seconds', 'Wall time of the last poll cycle.')),
  lastCycleHosts: registry.register(new Gauge('kamikazi_poll_cycle_last_hosts', 'Hosts polled in the last poll cycle.')),
};

export function renderMetrics(): string {
  return registry.render();
}
