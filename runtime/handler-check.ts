import { access } from 'node:fs/promises';
import type { ScenarioParts } from '../scenario/parts.ts';
import type { ScenarioProblem } from '../scenario/errors.ts';
import { resolveModuleReference } from './handler.ts';
import { HandlerLoadError, WorkerEnvironment, handlerInitLimitMs } from './worker-environment.ts';

/** Where the module reference sits in a scenario file (the problem points there). */
export const moduleReferenceKeyPath = 'function.handler.module';

/**
 * Loads the scenario's handler module the way a run will — in a worker thread of its own,
 * with Lambda's 10 s init limit ({@link handlerInitLimitMs}) — and ends it again, so a
 * missing file, an import that throws or never finishes, or a missing or non-function
 * export is found before any target or emulator starts. Returns one problem per failure
 * (none for a synthetic handler); `locate` turns the key path into file, line and column.
 *
 * @example
 * const problems = await checkHandlerModules(scenario, file, (keyPath) => locateKey(file, keyPath));
 * if (problems.length > 0) throw new ScenarioError(problems);
 */
export async function checkHandlerModules(
  scenario: Pick<ScenarioParts, 'function'>,
  scenarioFile: string,
  locate: (keyPath: string) => Promise<{ line: number; column: number }>,
  initLimitMs = handlerInitLimitMs,
): Promise<ScenarioProblem[]> {
  const handler = scenario.function.handler;
  if (handler.type !== 'module') return [];
  const { modulePath, exportName } = resolveModuleReference(handler.module, scenarioFile);
  const problem = async (message: string): Promise<ScenarioProblem[]> => [{ file: scenarioFile, ...(await locate(moduleReferenceKeyPath)), keyPath: moduleReferenceKeyPath, message }];
  try {
    await access(modulePath);
  } catch {
    return problem(`${handler.module}: no such file (${modulePath}; the path is relative to the scenario file's folder)`);
  }
  try {
    const environment = await WorkerEnvironment.start({ modulePath, exportName, functionName: 'sluice-check', memoryMb: scenario.function.memoryMb }, initLimitMs);
    await environment.terminate();
    return [];
  } catch (error) {
    if (!(error instanceof HandlerLoadError)) throw error;
    return problem(`${handler.module} does not load (${error.errorType}): ${error.message}. ${error.hint}`);
  }
}
