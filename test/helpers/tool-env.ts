// The environment for a tool a test runs (npm, tsc, a project outside the repository): the
// test's own, without V8 coverage. tap starts precise coverage (call counts and blocks) in every
// Node.js process a test spawns; a tool run under it takes about twice the CPU, for coverage of
// files no floor counts (node_modules, a temporary project). `_TAPJS_PROCESSINFO_COVERAGE_=0` is
// @tapjs/processinfo's documented switch; the server and the admin CLI keep their coverage.
export function toolEnv (env: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  return { ...env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
}
