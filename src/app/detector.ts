/** Builds the detection engine from rule files, the logsource mapping and placeholders. */
import {
  compileRules,
  CorrelationEngine,
  linkRules,
  RuleSet,
  type CompiledPart,
  type CorrelationRule,
  type Locate,
} from '../detect/index.ts';
import { loadLogsourceMap } from './routing-data.ts';
import type { Detection, Event, Issue } from '../core/index.ts';
import type { LoadReport, WorkerSetup } from './scan-protocol.ts';

export type { LoadReport } from './scan-protocol.ts';

export interface BuiltDetector {
  readonly ruleset: RuleSet;
  readonly correlations: readonly CorrelationRule[];
  readonly report: LoadReport;
}

/** Compiles everything in `setup`. Problems are collected in the report; this never throws on bad rules. */
export function buildDetector(setup: WorkerSetup): BuiltDetector {
  const compiled = compileSlice(setup);
  return linkDetector([compiled.part], compiled.locate, compiled.issues);
}

/** One slice of the rule files compiled (see `compileRules`), with the logsource map's problems. */
export interface CompiledSlice {
  readonly part: CompiledPart;
  readonly locate: Locate;
  readonly issues: readonly Issue[];
}

/** The first half of `buildDetector`: compiles the rule files of `setup`, which may be a slice of them. */
export function compileSlice(setup: WorkerSetup): CompiledSlice {
  const issues: Issue[] = [];
  const map = loadLogsourceMap(setup.logsourcesYaml);
  if (!map.ok) issues.push(...map.issues);
  const { part, locate } = compileRules(setup.ruleFiles, {
    ...(map.ok ? { logsources: map.value } : {}),
    placeholders: setup.placeholders,
  });
  return { part, locate, issues };
}

/**
 * The second half: links the compiled parts of every slice, in file order, into the rule set. `locate`
 * must answer for the files of every part; `issues` (the mapping's problems) lead the report.
 */
export function linkDetector(
  parts: readonly CompiledPart[],
  locate: Locate,
  issues: readonly Issue[],
): BuiltDetector {
  const loaded = linkRules(parts, locate);
  const ruleset = new RuleSet(loaded.rules, loaded.filters);
  return {
    ruleset,
    correlations: loaded.correlations,
    report: {
      rules: loaded.documents,
      loaded: loaded.rules.length + loaded.correlations.length + loaded.filters.length,
      unsupported: loaded.unsupported,
      issues: [...issues, ...loaded.issues],
    },
  };
}

/**
 * Runs correlation rules over base detections in time order and decides what is reported: base detections
 * of rules whose correlations say `generate: false` are consumed, correlation hits are added.
 */
export function correlate(
  correlations: readonly CorrelationRule[],
  detections: readonly Detection[],
): Detection[] {
  if (correlations.length === 0) return [...detections];
  const engine = new CorrelationEngine(correlations);
  const ordered = [...detections].sort(byTime);
  const out: Detection[] = [];
  for (const d of ordered) {
    if (engine.shouldReport(d.rule)) out.push(d);
    if (engine.referenced.has(d.rule.id) || (d.rule.name && engine.referenced.has(d.rule.name))) {
      // A chained correlation's inner hits are reported only if the outer rule asks for them.
      for (const hit of engine.push(d)) if (engine.shouldReport(hit.rule)) out.push(hit);
    }
  }
  return out;
}

/** Timeline order: time, then input file, then record id. Events without a time sort last. */
export function byTime(a: Detection, b: Detection): number {
  const ta = Number.isNaN(a.ts) ? Infinity : a.ts;
  const tb = Number.isNaN(b.ts) ? Infinity : b.ts;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ea: Event | undefined = a.events[0];
  const eb: Event | undefined = b.events[0];
  const fa = ea?.origin.file ?? '';
  const fb = eb?.origin.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (ea?.origin.recordId ?? 0) - (eb?.origin.recordId ?? 0);
}
