// Prints the plain closing line CI reads: "jest: N passed, N failed, N skipped", after one line
// naming the Node Jest ran on (its workers are started with the same binary).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numRuntimeErrorTestSuites } = results;
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    process.stdout.write(`\njest ran on Node ${process.version}`);
    process.stdout.write(`\njest: ${numPassedTests} passed, ${failed} failed, ${numPendingTests} skipped\n`);
  }
}
module.exports = SummaryReporter;
