import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { Report } from 'c8'

// The last step of `npm test`: tap records V8 coverage of every test process in .tap/coverage;
// this maps it through the source maps onto the TypeScript sources, prints lines covered per
// directory and fails when a directory with a floor is below it.

const PROJECT_ROOT = join(import.meta.dirname, '..', '..')
const COVERAGE_DIR = join(PROJECT_ROOT, '.tap', 'coverage')
const REPORTS_DIR = join(PROJECT_ROOT, '.tap', 'report')

// Minimum share of lines covered, in percent.
const LINE_FLOORS: ReadonlyMap<string, number> = new Map([
  ['src/', 90],
  ['plugins/', 90],
  ['sdk/src/', 85]
])

// Product code only: tests, their helpers, bench/ and the build script stay out. The page's
// scripts (web/src) run in a browser, where V8 coverage of Node does not reach.
// Longest prefix first, so sdk/src/ is not taken for src/.
const DIRECTORIES = ['sdk/src/', 'src/', 'contract/', 'plugins/', 'routes/', 'session-check/', 'bin/']
const TOP_LEVEL_FILES = ['app.js', 'server.js']
const TOP_LEVEL = '(top level)'
const FILES_NAMED_ON_FAILURE = 5

interface Tally { total: number, covered: number }
interface FileSummary { lines: Tally, branches: Tally, functions: Tally }
interface DirectorySummary extends FileSummary { files: Array<{ path: string, lines: Tally }> }

function directoryOf (path: string): string {
  return DIRECTORIES.find((directory) => path.startsWith(directory)) ?? TOP_LEVEL
}

function percent ({ total, covered }: Tally): number {
  return total === 0 ? 100 : (100 * covered) / total
}

function add (sum: Tally, part: Tally): void {
  sum.total += part.total
  sum.covered += part.covered
}

// A module of types only compiles to `export {};`: no code to run, so nothing to cover (c8's
// `all` would count every line of it as missed).
function isTypesOnly (compiled: string): boolean {
  return compiled.replace('export {};', '').replace(/^\/\/# sourceMappingURL=.*$/m, '').trim() === ''
}

// The compiled product files, relative to the project root, and those of them with no code.
async function compiledProductCode (): Promise<{ files: string[], typesOnly: string[] }> {
  const files = TOP_LEVEL_FILES.map((file) => `dist/${file}`)
  for (const directory of DIRECTORIES) {
    const entries = await readdir(join(PROJECT_ROOT, 'dist', directory), { recursive: true })
    files.push(...entries.filter((entry) => entry.endsWith('.js')).map((entry) => `dist/${directory}${entry.split(sep).join('/')}`))
  }
  const typesOnly: string[] = []
  for (const file of files) {
    if (isTypesOnly(await readFile(join(PROJECT_ROOT, file), 'utf8'))) typesOnly.push(file)
  }
  return { files, typesOnly }
}

async function summarise (): Promise<Map<string, DirectorySummary>> {
  const { typesOnly } = await compiledProductCode()
  console.log(`\n# Not measured, types only: ${typesOnly.join(', ') || 'none'}`)
  // `all` counts a product file that no test loaded as uncovered instead of leaving it out.
  // c8 matches `include` and `exclude` against paths relative to the working directory.
  process.chdir(PROJECT_ROOT)
  // Globs, one per directory, rather than the file list itself: c8 tests every script of every
  // test process against each pattern, and some 230 patterns made this step take 8 s.
  const include = [...TOP_LEVEL_FILES.map((file) => `dist/${file}`), ...DIRECTORIES.map((directory) => `dist/${directory}**/*.js`)]
  await new Report({
    tempDirectory: COVERAGE_DIR,
    reportsDirectory: REPORTS_DIR,
    reporter: ['json-summary', 'lcov'],
    include,
    exclude: typesOnly,
    all: true,
    src: [PROJECT_ROOT],
    excludeNodeModules: true
  }).run()
  const summary = JSON.parse(await readFile(join(REPORTS_DIR, 'coverage-summary.json'), 'utf8')) as Record<string, FileSummary>

  const directories = new Map<string, DirectorySummary>()
  for (const [file, counts] of Object.entries(summary)) {
    if (file === 'total') continue
    const path = relative(PROJECT_ROOT, file).split(sep).join('/')
    const directory = directoryOf(path)
    let sum = directories.get(directory)
    if (sum === undefined) {
      sum = { lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 }, functions: { total: 0, covered: 0 }, files: [] }
      directories.set(directory, sum)
    }
    add(sum.lines, counts.lines)
    add(sum.branches, counts.branches)
    add(sum.functions, counts.functions)
    sum.files.push({ path, lines: counts.lines })
  }
  return directories
}

function printTable (directories: Map<string, DirectorySummary>): void {
  const rows = [['directory', 'files', '% lines', '% branches', '% functions', 'lines floor']]
  for (const directory of [...DIRECTORIES, TOP_LEVEL]) {
    const sum = directories.get(directory)
    if (sum === undefined) continue
    const floor = LINE_FLOORS.get(directory)
    rows.push([
      directory,
      String(sum.files.length),
      percent(sum.lines).toFixed(2),
      percent(sum.branches).toFixed(2),
      percent(sum.functions).toFixed(2),
      floor === undefined ? '-' : `${floor}`
    ])
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
  console.log('# Coverage of the TypeScript sources (all product files, loaded by a test or not)')
  for (const row of rows) {
    console.log('# ' + row.map((cell, column) => column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)).join('  '))
  }
  console.log(`# line by line: ${join(REPORTS_DIR, 'lcov-report', 'index.html')}`)
}

function belowFloors (directories: Map<string, DirectorySummary>): string[] {
  const failures: string[] = []
  for (const [directory, floor] of LINE_FLOORS) {
    const sum = directories.get(directory)
    if (sum === undefined) {
      failures.push(`${directory} has no coverage at all (floor ${floor}% of lines)`)
      continue
    }
    const covered = percent(sum.lines)
    if (covered >= floor) continue
    const leastCovered = [...sum.files]
      .sort((a, b) => (b.lines.total - b.lines.covered) - (a.lines.total - a.lines.covered))
      .slice(0, FILES_NAMED_ON_FAILURE)
      .map((file) => `${file.path} (${file.lines.total - file.lines.covered} lines uncovered)`)
    failures.push(`${directory} lines ${covered.toFixed(2)}% is below its floor of ${floor}%; most uncovered: ${leastCovered.join(', ')}`)
  }
  return failures
}

async function main (): Promise<string[]> {
  if ((await readdir(COVERAGE_DIR).catch(() => [])).length === 0) {
    return [`no coverage recorded in ${COVERAGE_DIR}: run tap with coverage first, as npm test does`]
  }
  const directories = await summarise()
  printTable(directories)
  return belowFloors(directories)
}

const failures = await main()
for (const failure of failures) console.error(`# coverage floor not met: ${failure}`)
if (failures.length > 0) process.exitCode = 1
