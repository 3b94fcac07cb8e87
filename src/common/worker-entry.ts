import { join } from 'node:path';

/** Whether this code runs compiled (`dist/`, `.js`) or from the TypeScript sources under tsx. */
const compiled = __filename.endsWith('.js');

/**
 * The file and node arguments that start one of the service's worker-thread modules (`name`, beside
 * `dir`): the compiled `.js`, or the `.ts` source with tsx's loader, whose hooks do not reach worker
 * threads by themselves.
 */
export function workerEntry(dir: string, name: string): { path: string; execArgv: string[] } {
  return {
    path: join(dir, `${name}${compiled ? '.js' : '.ts'}`),
    execArgv: compiled ? [] : ['--require', 'tsx/cjs'],
  };
}
