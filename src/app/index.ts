/** The composition root: picks implementations and wires the stages for each `vigil` command. */
export { scan } from './scan.ts';
export { ruleSetup } from './files.ts';
export type { ScanOptions, ScanProgress, ScanResult, FileReport } from './scan.ts';
export { buildDetector, type LoadReport } from './detector.ts';
export { readRuleFiles, builtinRulesDir, packageRoot } from './files.ts';
export { checkRules } from './rules-check.ts';
export type { InputFormat } from '../ingest/index.ts';
export { startServer, loadServerConfig, SERVER_DEFAULTS } from './server/index.ts';
export type { RunningServer, ServerConfig, SyslogListener } from './server/index.ts';
