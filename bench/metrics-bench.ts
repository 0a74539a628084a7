import { measureMetricsCost } from './metrics-cost.js'
import { metricsCostSection } from './report.js'
import { metricsCostCheck } from './results.js'
import { runStandalone } from './standalone.js'

// npm run bench:metrics: the METRICS=on vs off comparison of `npm run bench` alone, printed
// rather than written into BENCHMARKS.md. The same BENCH_* settings apply.

await runStandalone(async ({ settings, redis, context }) => {
  const cost = await measureMetricsCost(context, redis.admin, settings)
  const check = metricsCostCheck(cost)
  return [
    metricsCostSection(cost, settings.connections),
    '',
    `${check.target}: required ${check.required}, measured ${check.measured}: ${check.met === true ? 'met' : 'NOT MET'}`
  ].join('\n')
})
