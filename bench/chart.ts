import type { ThroughputRow } from './throughput-rows.js'

// A self-contained SVG: one horizontal bar per target (median req/s), the ratio to bare
// Fastify printed on each bar. No fonts or scripts from elsewhere.

const WIDTH = 960
const LABEL_WIDTH = 360
const BAR_HEIGHT = 26
const ROW_GAP = 10
const TOP = 64
const BOTTOM = 36
const BAR_AREA = WIDTH - LABEL_WIDTH - 40

const COLOURS = { ours: '#2563eb', oursUnauthenticated: '#93c5fd', bare: '#374151', other: '#9ca3af' }

function escapeXml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function colourOf (row: ThroughputRow): string {
  if (row.id === 'bare') return COLOURS.bare
  if (row.id === 'ours-health') return COLOURS.oursUnauthenticated
  return row.id.startsWith('ours') ? COLOURS.ours : COLOURS.other
}

export function throughputChart (rows: ThroughputRow[], subtitle: string): string {
  const maxRps = Math.max(...rows.map((row) => row.medianRps).filter(Number.isFinite), 1)
  const height = TOP + rows.length * (BAR_HEIGHT + ROW_GAP) + BOTTOM
  const bars = rows.map((row, i) => {
    const y = TOP + i * (BAR_HEIGHT + ROW_GAP)
    const length = Math.max(2, (row.medianRps / maxRps) * BAR_AREA)
    const figure = `${Math.round(row.medianRps).toLocaleString('en-US')} req/s · ${row.ratioToBare.toFixed(2)}×`
    // The figure goes inside a long bar, after a short one.
    const inside = length > 230
    const textX = inside ? LABEL_WIDTH + length - 8 : LABEL_WIDTH + length + 8
    return [
      `<text x="${LABEL_WIDTH - 10}" y="${y + BAR_HEIGHT / 2 + 5}" text-anchor="end">${escapeXml(row.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${length.toFixed(1)}" height="${BAR_HEIGHT}" rx="3" fill="${colourOf(row)}"/>`,
      `<text x="${textX.toFixed(1)}" y="${y + BAR_HEIGHT / 2 + 5}" text-anchor="${inside ? 'end' : 'start'}" fill="${inside ? '#ffffff' : '#111827'}">${escapeXml(figure)}</text>`
    ].join('\n  ')
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="14">
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="20" y="28" font-size="18" font-weight="bold">Median req/s per target (× = ratio to bare Fastify)</text>
  <text x="20" y="50" fill="#4b5563">${escapeXml(subtitle)}</text>
  ${bars.join('\n  ')}
  <text x="20" y="${height - 12}" fill="#6b7280" font-size="12">Blue: this server (light: /health, no authentication). Dark: bare Fastify, no authentication. Grey: other designs. Written by npm run bench.</text>
</svg>
`
}
