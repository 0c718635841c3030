/**
 * Writes test-results/summary.json ({passed, failed}) after every jest run, so CI can print
 * its one-line summary without changing the README's test command.
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    // A suite that failed to run (syntax error, failed setup) counts as a failure too.
    const brokenSuites = results.testResults.filter((r) => r.testExecError || (r.failureMessage && r.numFailingTests === 0)).length;
    const summary = { passed: results.numPassedTests, failed: results.numFailedTests + brokenSuites };
    const dir = join(this.rootDir, 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  }
}

module.exports = SummaryReporter;
