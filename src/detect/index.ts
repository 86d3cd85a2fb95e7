/** The detect module's public face: Sigma loading, compiled rules, the runtime rule set, logsource routing and correlation. */
export { compileRules, linkRules, loadRules, locateIn, UNROUTED } from './sigma/load.ts';
export type { CompiledPart, LoadOptions, LoadResult, Locate } from './sigma/load.ts';
export { RuleSet } from './sigma/match.ts';
export type { PrefilterData, ScannerData } from './sigma/prefilter.ts';
export { printRule, printNode, fieldsOf } from './sigma/ir.ts';
export type { CompiledFilter, CompiledRoute, CompiledRule, IrNode, ValueTest } from './sigma/ir.ts';
export type { LogsourceMap, RuleDocument, SourceRoute } from './sigma/source.ts';
export {
  logsourceKey,
  routingTableFromData,
  parseLogsourceMap,
  translateValue,
  unservedFields,
} from './sigma/logsource.ts';
export type { MappedRoute, RoutingTable, RoutingTableData } from './sigma/logsource.ts';
export * from './sigma/correlation/index.ts';
