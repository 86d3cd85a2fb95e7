/** The composition root: picks implementations and wires the stages for each `vigil` command. */
import type { ServerConfig } from './server/config.ts';
import type { RunningServer } from './server/index.ts';

export { scan } from './scan.ts';
export { ruleSetup } from './files.ts';
export type { ScanOptions, ScanProgress, ScanResult, FileReport } from './scan.ts';
export { buildDetector, type LoadReport } from './detector.ts';
export { readRuleFiles, builtinRulesDir, packageRoot } from './files.ts';
export { checkRules } from './rules-check.ts';
export {
  CSV_HEADER,
  csvLine,
  details,
  eventRef,
  hostOf,
  jsonLine,
  toRecord,
  type DetectionRecord,
  type EventRef,
  type LineFormat,
} from './records.ts';
export type { InputFormat } from '../ingest/index.ts';
export { loadServerConfig, DEFAULTS as SERVER_DEFAULTS } from './server/config.ts';
export type { ServerConfig, SyslogListener } from './server/config.ts';
export type { RunningServer } from './server/index.ts';

/**
 * `vigil serve` (see `server/index.ts`). The server's modules (HTTP, store, …) load on this call, so that
 * the other commands start without them.
 */
export async function startServer(
  cfg: ServerConfig,
  log: (line: string) => void,
): Promise<RunningServer> {
  const server = await import('./server/index.ts');
  return server.startServer(cfg, log);
}
