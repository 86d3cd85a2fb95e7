/** Sigma correlation rules: compile a `correlation:` document, check references, run the engine. */
export { compileCorrelation, parseTimespan } from './compile.ts';
export { checkReferences } from './references.ts';
export { CorrelationEngine } from './engine.ts';
export type { CorrelationEngineOptions, CorrelationEngineStats } from './engine.ts';
export {
  COMPARISON_OPS,
  CORRELATION_TYPES,
  correlationRuleRef,
  formatCondition,
  testCondition,
} from './types.ts';
export type {
  Comparison,
  ComparisonOp,
  CorrelationRule,
  CorrelationType,
  PercentileMode,
} from './types.ts';
