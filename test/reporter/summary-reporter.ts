// Prints one plain line, `N passed, N failed` (`, N skipped` only when something was skipped), as
// the very last line of a vitest run, so CI can count tests without parsing coloured output.
//
// Counts individual test cases. `failed` also counts errors that happen outside any test, because a
// run that lost tests to them is not green: a file that fails to import or has no tests, a failing
// beforeAll/afterAll (one per error, at least one per failed suite), and unhandled errors.
import type { Reporter, TestModule, TestRunEndReason, Vitest } from 'vitest/node';

type SerializedError = Parameters<NonNullable<Reporter['onTestRunEnd']>>[1][number];

export default class SummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    _reason: TestRunEndReason,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;

    for (const module of testModules) {
      let moduleFailures = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') moduleFailures++;
        else if (state === 'skipped') skipped++;
        // 'pending' only happens when the run was interrupted; such tests did not run.
      }
      // Errors outside tests: import/collection errors, failing beforeAll/afterAll hooks.
      moduleFailures += module.errors().length;
      for (const suite of module.children.allSuites()) moduleFailures += suite.errors().length;
      // A module that failed with nothing to show for it is still a failure.
      if (moduleFailures === 0 && module.state() === 'failed') moduleFailures = 1;
      failed += moduleFailures;
    }
    failed += unhandledErrors.length;

    const line = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
    // Through vitest's logger, the same stream the default reporter's summary just went to.
    if (this.vitest) this.vitest.logger.log(line);
    else process.stdout.write(`${line}\n`);
  }
}
