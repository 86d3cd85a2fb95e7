/** Shared shapes between the rule loader, logsource routing and correlation compilers. */
import type { LogSource } from '../../core/index.ts';

/** One YAML document of a rule file, as plain data, with a way to point at any node of it. */
export interface RuleDocument {
  readonly file: string;
  /** 0-based index of the document inside a multi-document file. */
  readonly index: number;
  readonly value: Readonly<Record<string, unknown>>;
  /** 1-based line and column of the node at `path` (keys and list indexes); the nearest existing ancestor when absent. */
  locate(path: readonly (string | number)[]): { line: number; col: number };
}

/**
 * One concrete event stream a Sigma logsource stands for, e.g. `process_creation` on Windows is two routes:
 * Sysmon EventID 1, and Security EventID 4688 with its own field names.
 */
export interface SourceRoute {
  /** Stable name for reports and golden tests, e.g. `windows/process_creation/sysmon`. */
  readonly name: string;
  /** When set, the event's `source` must carry these parts (used for non-Windows readers: linux/auth, zeek/conn…). */
  readonly source?: LogSource;
  /** AND of: event field equals one of the values (strings compare case-insensitively, numbers as numbers). */
  readonly where: Readonly<Record<string, readonly (string | number)[]>>;
  /** Rule field name → event field name on this route (e.g. 4688: `Image` → `NewProcessName`). */
  readonly fieldMap: Readonly<Record<string, string>>;
}

/** The resolved mapping data; built from YAML by `parseLogsourceMap`. */
export interface LogsourceMap {
  /** Resolves a rule's logsource. `undefined` means the logsource is unknown to the mapping. */
  routes(logsource: LogSource): readonly SourceRoute[] | undefined;
}
