/** Prints one plain closing line, `tests: N passed, N failed`, that CI reads whatever the runner. */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests + results.numRuntimeErrorTestSuites} failed\n`,
    );
  }
}
module.exports = SummaryReporter;
