/** The syntax tree of one Sigma rule or meta filter, as the parser reads it and the compiler consumes it. */
import type { Level, LogSource } from '../../core/index.ts';

/** 1-based position inside the rule file. */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

/**
 * A position computed on first read. Loading records a position for every key and condition term, but
 * reads one only to report a problem, so the located YAML parse behind it usually never runs.
 */
export function lazyPos(compute: () => Pos): Pos {
  return new LazyPos(compute);
}

/** One small object per position (a literal with getters would make two functions per position too). */
class LazyPos implements Pos {
  private pos: Pos | undefined;
  constructor(private readonly compute: () => Pos) {}
  get line(): number {
    return (this.pos ??= this.compute()).line;
  }
  get col(): number {
    return (this.pos ??= this.compute()).col;
  }
}

/** A YAML scalar as a detection value may hold it. */
export type RawValue = string | number | boolean | null;

/**
 * One `field|mod1|mod2: value(s)` entry, or a keyword value list (`field` undefined).
 * `values` always is a list; `null` as a value is kept as `null`.
 */
export interface ItemAst {
  readonly field: string | undefined;
  readonly modifiers: readonly string[];
  readonly values: readonly RawValue[];
  /** Where the key is (for keywords: where the value list is). */
  readonly at: Pos;
  /** `detection.<search>.<key>` for messages. */
  readonly path: string;
}

/** A search identifier's definition: a map is an AND of items, a list is an OR of its entries. */
export type SearchAst =
  | { readonly kind: 'map'; readonly items: readonly ItemAst[]; readonly at: Pos }
  | { readonly kind: 'list'; readonly of: readonly SearchAst[]; readonly at: Pos }
  | { readonly kind: 'keywords'; readonly item: ItemAst; readonly at: Pos };

/** The condition expression. `of` patterns are kept as written; the compiler resolves them. */
export type CondAst =
  | { readonly k: 'id'; readonly name: string; readonly at: Pos }
  | {
      readonly k: 'of';
      readonly quant: 'any' | 'all';
      /** `them` or a pattern where `*` matches any run of characters. */
      readonly pattern: string;
      readonly at: Pos;
    }
  | { readonly k: 'not'; readonly of: CondAst }
  | { readonly k: 'and' | 'or'; readonly of: readonly CondAst[] };

/** What the detection and condition of a rule or filter say. */
export interface DetectionAst {
  /** In document order. */
  readonly searches: ReadonlyMap<string, SearchAst>;
  /** A list of conditions is an OR of them. */
  readonly conditions: readonly CondAst[];
}

/** A detection rule, with the metadata a detection carries. */
export interface RuleAst {
  readonly file: string;
  readonly docIndex: number;
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly title: string;
  readonly status: string | undefined;
  readonly level: Level;
  readonly description: string | undefined;
  readonly author: string | undefined;
  readonly tags: readonly string[];
  readonly falsepositives: readonly string[];
  readonly logsource: LogSource;
  readonly detection: DetectionAst;
  /** Position of the rule's `id` (or `title`) for duplicate reports. */
  readonly at: Pos;
}

/** A Sigma meta filter: `and not <filter>` applied to the named rules within its logsource. */
export interface FilterAst {
  readonly file: string;
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly title: string;
  readonly logsource: LogSource;
  /** Rule ids or names, or `any` for every rule of the logsource. */
  readonly rules: 'any' | readonly string[];
  readonly detection: DetectionAst;
  readonly at: Pos;
}

/** Whether a search identifier is selected by an `of` pattern (`them` skips `_`-prefixed names). */
export function patternSelects(pattern: string, name: string): boolean {
  if (pattern === 'them') return !name.startsWith('_');
  if (name.startsWith('_') && !pattern.startsWith('_')) return false;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!name.startsWith(first) || name.length < first.length + last.length) return false;
  if (!name.endsWith(last)) return false;
  let pos = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    const at = name.indexOf(part, pos);
    if (at < 0 || at + part.length > end) return false;
    pos = at + part.length;
  }
  return true;
}
