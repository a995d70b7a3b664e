/**
 * Jest setupFilesAfterEnv of every workspace: a test during which a service answered something its
 * contract does not allow fails, naming the route and the zod issue (common/src/http/response-check.ts),
 * even when the test itself only looked at the status.
 */
import { CHECK_RESPONSES_ENV, takeContractViolations } from '../http/response-check';

// Apps built in this file check their answers (globalSetup sets it too, for processes the tests start).
process.env[CHECK_RESPONSES_ENV] ??= '1';

afterEach(() => {
  const violations = takeContractViolations();
  if (violations.length > 0) throw new Error(`The service answered outside its contract:\n\n${violations.join('\n\n')}`);
});
