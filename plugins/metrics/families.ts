/**
 * Counters, gauges and histograms in the Prometheus text format (version 0.0.4), written by hand:
 * a series is found by one Map lookup on its joined label values, and its label text is escaped
 * once, when it is created, not on every scrape. Cardinality is bounded per family: past
 * `maxSeries`, new label sets are counted in one series whose labels all read `_overflow`.
 *
 * @example
 * const hits = new CounterFamily('app_hits_total', 'Hits.', ['route'], 100)
 * hits.inc(['/api'])
 * hits.render() // # HELP app_hits_total Hits.\n# TYPE app_hits_total counter\napp_hits_total{route="/api"} 1\n
 */

const SEP = '\u0001'
export const OVERFLOW = '_overflow'

interface Series {
  labels: string
  values: readonly string[]
}

abstract class Family<S extends Series> {
  protected readonly series = new Map<string, S>()

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly maxSeries: number,
    private readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  protected abstract create(labels: string, values: readonly string[]): S

  /** The series for these label values (in `labelNames` order), created on first use. */
  protected get(values: readonly string[]): S {
    let key = values[0] ?? ''
    for (let i = 1; i < values.length; i++) key += SEP + values[i]!
    let s = this.series.get(key)
    if (s) return s
    if (this.series.size >= this.maxSeries) {
      const overflow = this.labelNames.map(() => OVERFLOW)
      return this.series.get(overflow.join(SEP)) ?? this.add(overflow.join(SEP), overflow)
    }
    return this.add(key, values)
  }

  private add(key: string, values: readonly string[]): S {
    const s = this.create(labelText(this.labelNames, values), [...values])
    this.series.set(key, s)
    return s
  }

  /** Drops every series whose label `name` has this value (an upstream that left its pool). */
  drop(match: Record<string, string>): void {
    const idx = Object.entries(match).map(([name, v]) => [this.labelNames.indexOf(name), v] as const)
    if (idx.some(([i]) => i < 0)) return
    for (const [key, s] of this.series) if (idx.every(([i, v]) => s.values[i] === v)) this.series.delete(key)
  }

  /** Removes all series (gauges refilled at each scrape). */
  clear(): void {
    this.series.clear()
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`
    for (const s of this.series.values()) out += this.lines(s)
    return out
  }

  protected abstract lines(s: S): string
}

interface ValueSeries extends Series {
  value: number
}

export class CounterFamily extends Family<ValueSeries> {
  constructor(name: string, help: string, labelNames: readonly string[], maxSeries: number) {
    super(name, help, labelNames, maxSeries, 'counter')
  }
  protected create(labels: string, values: readonly string[]): ValueSeries {
    return { labels, values, value: 0 }
  }
  inc(values: readonly string[], by = 1): void {
    this.get(values).value += by
  }
  /** A count kept elsewhere (the listeners' refusals), set to its total at each scrape. */
  setTotal(values: readonly string[], total: number): void {
    this.get(values).value = total
  }
  value(values: readonly string[]): number {
    return this.series.get(values.join(SEP))?.value ?? 0
  }
  protected lines(s: ValueSeries): string {
    return `${this.name}${s.labels} ${num(s.value)}\n`
  }
}

export class GaugeFamily extends Family<ValueSeries> {
  constructor(name: string, help: string, labelNames: readonly string[], maxSeries: number) {
    super(name, help, labelNames, maxSeries, 'gauge')
  }
  protected create(labels: string, values: readonly string[]): ValueSeries {
    return { labels, values, value: 0 }
  }
  set(values: readonly string[], value: number): void {
    this.get(values).value = value
  }
  protected lines(s: ValueSeries): string {
    return `${this.name}${s.labels} ${num(s.value)}\n`
  }
}

interface HistogramSeries extends Series {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  counts: number[]
  sum: number
  count: number
}

export class HistogramFamily extends Family<HistogramSeries> {
  private readonly le: string[]

  constructor(name: string, help: string, labelNames: readonly string[], maxSeries: number, private readonly buckets: readonly number[]) {
    super(name, help, labelNames, maxSeries, 'histogram')
    this.le = [...buckets.map(num), '+Inf']
  }
  protected create(labels: string, values: readonly string[]): HistogramSeries {
    return { labels, values, counts: new Array(this.buckets.length + 1).fill(0), sum: 0, count: 0 }
  }
  observe(values: readonly string[], v: number): void {
    const s = this.get(values)
    let i = 0
    while (i < this.buckets.length && v > this.buckets[i]!) i++
    s.counts[i]!++
    s.sum += v
    s.count++
  }
  protected lines(s: HistogramSeries): string {
    // `le` goes last inside the braces: `{route="x",le="0.1"}`, or `{le="0.1"}` without labels.
    const open = s.labels ? s.labels.slice(0, -1) + ',' : '{'
    let out = ''
    let cumulative = 0
    for (let i = 0; i < this.le.length; i++) {
      cumulative += s.counts[i]!
      out += `${this.name}_bucket${open}le="${this.le[i]}"} ${cumulative}\n`
    }
    return out + `${this.name}_sum${s.labels} ${num(s.sum)}\n${this.name}_count${s.labels} ${s.count}\n`
  }
}

function labelText(names: readonly string[], values: readonly string[]): string {
  if (!names.length) return ''
  return `{${names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`).join(',')}}`
}

/** Label values escape backslash, double quote and newline (the text format's only escapes). */
export function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`))
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN'
}
