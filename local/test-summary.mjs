// Prints jest's result as one plain closing line, "tests: N passed, N failed[, N skipped]",
// which CI reads to know how many tests ran.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`No jest results in ${file}: ${error.message}`);
  process.exit(1);
}
const skipped = results.numPendingTests + results.numTodoTests;
const failedSuites = results.numRuntimeErrorTestSuites ?? 0;
if (failedSuites > 0) console.log(`${failedSuites} test suite(s) failed to run`);
console.log(`tests: ${results.numPassedTests} passed, ${results.numFailedTests + failedSuites} failed${skipped ? `, ${skipped} skipped` : ''}`);
