/** Starts a worker thread whose entry is a module of this package, compiled (dist) or from source (tsx). */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * `entry` is the module's URL without its extension (`new URL('./x', import.meta.url)`). Compiled, the
 * `.js` file loads as it is. From source, `execArgv: ['--import', 'tsx']` does not reach a worker's entry
 * module on Node 20, so a two-line bootstrap registers tsx's ESM hooks in the worker and imports the `.ts`.
 */
export function startWorker(
  entry: URL,
  fromJs: boolean,
  workerData: unknown,
  resourceLimits?: ResourceLimits,
): Worker {
  const limits = resourceLimits ? { resourceLimits } : {};
  if (fromJs) return new Worker(new URL(`${entry.href}.js`), { workerData, ...limits });
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const api = pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  const ts = `${entry.href}.ts`;
  return new Worker(
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`,
    { eval: true, workerData, ...limits },
  );
}
