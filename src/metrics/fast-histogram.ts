// A Prometheus histogram for what happens on every request (the HTTP duration, each Redis call).
// prom-client's observe() costs 0.5-1.5 µs with labels (it finds the bucket by the bound turned
// into a property name, and hashes the labels object each time); a cached session check costs
// about 50 µs in all, so that alone would be a few percent. Here a caller keeps the series of
// its label values and adds to plain counts; the text format (cumulative buckets, _sum,
// _count) is written only when scraped.

const LABEL_SEPARATOR = '\u0000'

// The text format's escaping: a label value in quotes, a help text on its own line.
function escapeLabelValue (value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function escapeHelp (help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

export class HistogramSeries {
  // counts[i]: observations in (bounds[i-1], bounds[i]]; the last one: above every bound.
  private readonly counts: number[]
  private sum = 0
  private count = 0

  constructor (private readonly bounds: readonly number[], readonly labels: string) {
    this.counts = new Array<number>(bounds.length + 1).fill(0)
  }

  observe (value: number): void {
    let bucket = 0
    while (bucket < this.bounds.length && value > (this.bounds[bucket] ?? Infinity)) bucket++
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1
    this.sum += value
    this.count++
  }

  // `le` first, as prom-client writes it.
  lines (name: string): string[] {
    const withBound = (bound: string): string => this.labels === '' ? `{le="${bound}"}` : `{le="${bound}",${this.labels}}`
    const lines: string[] = []
    let cumulative = 0
    this.bounds.forEach((bound, i) => {
      cumulative += this.counts[i] ?? 0
      lines.push(`${name}_bucket${withBound(String(bound))} ${cumulative}`)
    })
    const labels = this.labels === '' ? '' : `{${this.labels}}`
    lines.push(`${name}_bucket${withBound('+Inf')} ${this.count}`, `${name}_sum${labels} ${this.sum}`, `${name}_count${labels} ${this.count}`)
    return lines
  }
}

export class FastHistogram {
  private readonly all = new Map<string, HistogramSeries>()

  constructor (
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
    // Upper bounds, ascending.
    private readonly bounds: readonly number[]
  ) {}

  // The series of these label values (in the order of labelNames), made on first use. Callers
  // keep it, so that an observation costs no lookup.
  series (labelValues: readonly string[]): HistogramSeries {
    const key = labelValues.join(LABEL_SEPARATOR)
    let series = this.all.get(key)
    if (series === undefined) {
      const labels = this.labelNames.map((name, i) => `${name}="${escapeLabelValue(labelValues[i] ?? '')}"`).join(',')
      series = new HistogramSeries(this.bounds, labels)
      this.all.set(key, series)
    }
    return series
  }

  // The metric in the Prometheus text format, as prom-client writes its own.
  text (): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} histogram`]
    for (const series of this.all.values()) lines.push(...series.lines(this.name))
    return lines.join('\n')
  }
}
