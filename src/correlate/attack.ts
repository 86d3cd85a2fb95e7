/** MITRE ATT&CK Enterprise lookups for incidents: techniques, the kill chain, Sigma tags, mitigations. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../core/index.ts';

/** The shipped table, written by `scripts/build-attack.ts` (`npm run build:attack`); MITRE's terms in `NOTICE` beside it. */
export const attackTableFile = fileURLToPath(
  new URL('../../data/attack/enterprise.json', import.meta.url),
);

/** Version of the table's shape; the loader refuses any other. */
export const ATTACK_TABLE_FORMAT = 1;

export interface Tactic {
  /** `TA0002`. */
  readonly id: string;
  /** `execution`: the name Sigma tags and technique rows use. */
  readonly shortname: string;
  readonly name: string;
}

export interface Technique {
  /** `T1059` or `T1059.001`. */
  readonly id: string;
  readonly name: string;
  /** Tactic shortnames, in kill-chain order. */
  readonly tactics: readonly string[];
  readonly isSubtechnique: boolean;
  /** The parent technique's id; sub-techniques only. */
  readonly parent?: string;
  readonly platforms: readonly string[];
  /** The first sentence of MITRE's description, as plain text. */
  readonly description: string;
}

export interface Mitigation {
  /** `M1042`. */
  readonly id: string;
  readonly name: string;
  /** The first sentence of MITRE's description, as plain text. */
  readonly description: string;
}

/** One `mitigates` relationship. */
export interface MitigationLink {
  readonly mitigation: string;
  readonly technique: string;
  /**
   * How the mitigation applies to that technique: MITRE's text with citations removed, links reduced to
   * their text and HTML markup rewritten as Markdown (bullets and emphasis are MITRE's own Markdown).
   */
  readonly description: string;
}

/** The JSON file's shape. Arrays are sorted (tactics in kill-chain order, the rest by id). */
export interface AttackTableData {
  readonly format: typeof ATTACK_TABLE_FORMAT;
  readonly attack: {
    readonly domain: string;
    /** ATT&CK release, `18.1`. */
    readonly version: string;
    /** Release date (`YYYY-MM-DD`); see `dateFrom` for how it was found. */
    readonly date: string;
    readonly versionFrom: string;
    readonly dateFrom: string;
    /** The input bundle's file name and SHA-256. */
    readonly source: { readonly file: string; readonly sha256: string };
    /** MITRE's copyright designation; the licence and disclaimers are in `NOTICE`. */
    readonly copyright: readonly string[];
  };
  readonly tactics: readonly Tactic[];
  readonly techniques: readonly Technique[];
  /** Revoked technique id → the current technique that replaced it (chains already followed). */
  readonly revoked: Readonly<Record<string, string>>;
  readonly mitigations: readonly Mitigation[];
  /** Sorted by technique, then mitigation. */
  readonly mitigates: readonly MitigationLink[];
}

/** One mitigation recommended for a set of techniques. */
export interface MitigationAdvice {
  readonly mitigation: Mitigation;
  /** The given techniques it covers (by id), each with MITRE's text on how it applies. */
  readonly covers: readonly { readonly technique: Technique; readonly how: string }[];
}

/**
 * ATT&CK v19 split Defense Evasion into Stealth and Defense Impairment, and SigmaHQ's rules already tag
 * with them. This is Vigil's mapping (not MITRE's), used only while the table is older and lacks them;
 * a table built from v19 names them itself and this is then ignored.
 */
const SUCCESSOR_TACTICS: ReadonlyMap<string, string> = new Map([
  ['stealth', 'defense-evasion'],
  ['defense-impairment', 'defense-evasion'],
]);

const TECHNIQUE_TAG = /^attack\.(t\d{4}(?:\.\d{3})?)$/i;
const TAG_PREFIX = 'attack.';

interface Index {
  readonly data: AttackTableData;
  readonly techniques: ReadonlyMap<string, Technique>;
  readonly revoked: ReadonlyMap<string, string>;
  readonly tactics: ReadonlyMap<string, { readonly tactic: Tactic; readonly index: number }>;
  readonly mitigations: ReadonlyMap<string, Mitigation>;
  readonly links: ReadonlyMap<string, readonly MitigationLink[]>;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The ATT&CK table with its indexes. The data is read on the first question and kept for the life of
 * the object; lookups are synchronous and never throw. Loading throws `VigilError` (`READ_IO` when the
 * file cannot be read, `INTERNAL` when it is not a table of this format).
 */
export class AttackTable {
  #load: () => AttackTableData;
  #index: Index | undefined;

  constructor(load: () => AttackTableData) {
    this.#load = load;
  }

  /** The table as loaded (release, tactics, techniques, mitigations, links). */
  get data(): AttackTableData {
    return this.#get().data;
  }

  /** The enterprise tactics in kill-chain order. */
  get tactics(): readonly Tactic[] {
    return this.#get().data.tactics;
  }

  /**
   * A technique or sub-technique by id, any case (`t1059.001`). A revoked id answers the technique
   * that replaced it (compare `id` to tell); unknown and deprecated ids answer `undefined`.
   */
  technique(id: string): Technique | undefined {
    const ix = this.#get();
    const key = id.trim().toUpperCase();
    const current = ix.revoked.get(key) ?? key;
    return ix.techniques.get(current);
  }

  /** A tactic by shortname (`execution`, `command_and_control`) or id (`TA0002`), any case. */
  tactic(name: string): Tactic | undefined {
    return this.#tacticEntry(name)?.tactic;
  }

  /** A tactic's position in the kill chain (0 = `reconnaissance`), or `undefined` if unknown. */
  tacticIndex(name: string): number | undefined {
    return this.#tacticEntry(name)?.index;
  }

  /** Tactic shortnames (or ids), deduplicated and sorted along the kill chain; unknown names are dropped. */
  killChainOrder(tactics: Iterable<string>): string[] {
    const found = new Map<number, string>();
    for (const t of tactics) {
      const e = this.#tacticEntry(t);
      if (e) found.set(e.index, e.tactic.shortname);
    }
    return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  }

  /** The techniques that Sigma tags name (`attack.t1059.001`), revoked ids resolved, deduplicated, by id. */
  techniquesFromTags(tags: readonly string[]): Technique[] {
    const out = new Map<string, Technique>();
    for (const tag of tags) {
      const m = TECHNIQUE_TAG.exec(tag.trim());
      const t = m?.[1] === undefined ? undefined : this.technique(m[1]);
      if (t) out.set(t.id, t);
    }
    return [...out.values()].sort((a, b) => byString(a.id, b.id));
  }

  /**
   * The tactics Sigma tags reach, in kill-chain order: those tagged `attack.<tactic>`, plus, for each
   * tagged technique none of whose tactics is tagged, all of that technique's tactics (a rule tagged
   * `attack.persistence` + `attack.t1078` is about persistence, not every tactic T1078 serves).
   */
  tacticsFromTags(tags: readonly string[]): string[] {
    const named = new Set<string>();
    for (const tag of tags) {
      const t = tag.trim();
      if (!t.toLowerCase().startsWith(TAG_PREFIX)) continue;
      const e = this.#tacticEntry(t.slice(TAG_PREFIX.length));
      if (e) named.add(e.tactic.shortname);
    }
    const reached = new Set(named);
    for (const technique of this.techniquesFromTags(tags)) {
      if (technique.tactics.some((s) => named.has(s))) continue;
      for (const s of technique.tactics) reached.add(s);
    }
    return this.killChainOrder(reached);
  }

  /**
   * MITRE's mitigations for the given techniques (ids as `technique()` takes them; unknown ones are
   * ignored). Ranked by how many of the techniques each covers, then by id. A technique's mitigations
   * are its own: a sub-technique does not inherit its parent's. M1055 "Do Not Mitigate" is returned
   * like any other; its text says why the technique should be watched rather than blocked.
   */
  mitigationsFor(techniqueIds: Iterable<string>): MitigationAdvice[] {
    const ix = this.#get();
    const techniques = new Map<string, Technique>();
    for (const id of techniqueIds) {
      const t = this.technique(id);
      if (t) techniques.set(t.id, t);
    }
    const advice = new Map<string, { technique: Technique; how: string }[]>();
    for (const t of [...techniques.values()].sort((a, b) => byString(a.id, b.id))) {
      for (const link of ix.links.get(t.id) ?? []) {
        let covers = advice.get(link.mitigation);
        if (!covers) advice.set(link.mitigation, (covers = []));
        covers.push({ technique: t, how: link.description });
      }
    }
    const out: MitigationAdvice[] = [];
    for (const [id, covers] of advice) {
      const mitigation = ix.mitigations.get(id);
      if (mitigation) out.push({ mitigation, covers });
    }
    return out.sort(
      (a, b) => b.covers.length - a.covers.length || byString(a.mitigation.id, b.mitigation.id),
    );
  }

  /** A mitigation by id (`M1042`), any case. */
  mitigation(id: string): Mitigation | undefined {
    return this.#get().mitigations.get(id.trim().toUpperCase());
  }

  #tacticEntry(name: string): { readonly tactic: Tactic; readonly index: number } | undefined {
    const tactics = this.#get().tactics;
    const key = name.trim().toLowerCase().replaceAll('_', '-');
    const successor = SUCCESSOR_TACTICS.get(key);
    return tactics.get(key) ?? (successor === undefined ? undefined : tactics.get(successor));
  }

  #get(): Index {
    return (this.#index ??= buildIndex(this.#load()));
  }
}

function buildIndex(data: AttackTableData): Index {
  const techniques = new Map(data.techniques.map((t) => [t.id, t]));
  const revoked = new Map(Object.entries(data.revoked));
  const tactics = new Map<string, { tactic: Tactic; index: number }>();
  data.tactics.forEach((tactic, index) => {
    tactics.set(tactic.shortname, { tactic, index });
    tactics.set(tactic.id.toLowerCase(), { tactic, index });
  });
  const mitigations = new Map(data.mitigations.map((m) => [m.id, m]));
  const links = new Map<string, MitigationLink[]>();
  for (const link of data.mitigates) {
    let list = links.get(link.technique);
    if (!list) links.set(link.technique, (list = []));
    list.push(link);
  }
  return { data, techniques, revoked, tactics, mitigations, links };
}

/** Reads and checks a table file (the shipped one unless told otherwise). Throws as `AttackTable` says. */
export function readAttackTable(file: string = attackTableFile): AttackTableData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VigilError(
      'READ_IO',
      `cannot read the ATT&CK table ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (npm run build:attack writes it)`,
      { cause: err },
    );
  }
  return parseAttackTable(text, file);
}

/** Parses a table's JSON text, checking its format and that every part is there. */
export function parseAttackTable(text: string, file = 'ATT&CK table'): AttackTableData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new VigilError('INTERNAL', `${file} is not JSON: ${String(err)}`, { cause: err });
  }
  if (!isTableData(value)) {
    throw new VigilError(
      'INTERNAL',
      `${file} is not an ATT&CK table of format ${ATTACK_TABLE_FORMAT} (rebuild it with npm run build:attack)`,
    );
  }
  return value;
}

function isTableData(v: unknown): v is AttackTableData {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    o['format'] === ATTACK_TABLE_FORMAT &&
    typeof o['attack'] === 'object' &&
    o['attack'] !== null &&
    typeof o['revoked'] === 'object' &&
    o['revoked'] !== null &&
    ['tactics', 'techniques', 'mitigations', 'mitigates'].every((k) => Array.isArray(o[k]))
  );
}

/** The shipped Enterprise table, read from `data/attack/enterprise.json` on first use, once per process. */
export const attack = new AttackTable(() => readAttackTable());

/** `attack.techniquesFromTags`. */
export function techniquesFromTags(tags: readonly string[]): Technique[] {
  return attack.techniquesFromTags(tags);
}

/** `attack.tacticsFromTags`. */
export function tacticsFromTags(tags: readonly string[]): string[] {
  return attack.tacticsFromTags(tags);
}

/** `attack.killChainOrder`. */
export function killChainOrder(tactics: Iterable<string>): string[] {
  return attack.killChainOrder(tactics);
}

/** `attack.tacticIndex`. */
export function tacticIndex(shortname: string): number | undefined {
  return attack.tacticIndex(shortname);
}

/** `attack.mitigationsFor`. */
export function mitigationsFor(techniqueIds: Iterable<string>): MitigationAdvice[] {
  return attack.mitigationsFor(techniqueIds);
}
