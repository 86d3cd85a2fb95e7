/**
 * An on-disk cache of compiled rule slices, addressed by the hash of everything the compilation reads:
 * the rule files (path and text), the logsource map, the placeholders, the compiler's own code and the
 * versions of Node and the YAML and regex libraries. A hit skips reading YAML and compiling; any change
 * to an input is a different key, so an entry is never stale. Entries are `v8.serialize`d plain data.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import type { Issue } from '../core/index.ts';
import type { CompiledPart, CompiledRoute, IrNode } from '../detect/index.ts';
import type { WorkerSetup } from './scan-protocol.ts';

/** Entries kept; older ones are removed when a new one is written. */
const MAX_ENTRIES = 16;
/** Bumped when the layout of an entry changes. */
const FORMAT = 'vigil-rule-slice-4';

/**
 * A compiled slice as it travels between workers and sits in the cache. The rules' conditions are kept
 * apart, each as JSON text (one `JSON.stringify` costs a third of a `v8.serialize` of the same small
 * tree), and read on first use: a scan evaluates about a third of the SigmaHQ rules even once, and the
 * rest never needs its condition in memory.
 */
export interface SliceEntry {
  /** The compiled part; every route's `cond` is a placeholder here (see `unpackSlice`). */
  readonly part: CompiledPart;
  /** The logsource mapping's problems. */
  readonly issues: readonly Issue[];
  /** Every route's condition as JSON, one after another, routes in part order. */
  readonly conds: string;
  /** Route i's condition is `conds.slice(offsets[i], offsets[i + 1])`. */
  readonly offsets: Int32Array;
  /**
   * Conditions JSON cannot carry (a number that is not finite reads back as `null`), `v8.serialize`d,
   * by route index; their JSON range is empty.
   */
  readonly special: ReadonlyMap<number, Uint8Array>;
}

const PACKED: IrNode = { k: 'const', v: false };

/** A `null` where JSON wrote a value: a non-finite number in the tree (or, harmlessly, text like it). */
const NULL_VALUE = /[:,[]null/;

function routesOf(part: CompiledPart): CompiledRoute[] {
  const out: CompiledRoute[] = [];
  for (const e of part.entries) if (e.k === 'doc' && e.rule) out.push(...e.rule.routes);
  return out;
}

/** A compiled part as plain data with every route's condition packed apart (see SliceEntry). */
export function packSlice(part: CompiledPart, issues: readonly Issue[]): SliceEntry {
  const routes = routesOf(part);
  const offsets = new Int32Array(routes.length + 1);
  const texts: string[] = [];
  const special = new Map<number, Uint8Array>();
  let size = 0;
  routes.forEach((r, i) => {
    offsets[i] = size;
    const json = JSON.stringify(r.cond);
    if (NULL_VALUE.test(json)) special.set(i, serialize(r.cond));
    else {
      texts.push(json);
      size += json.length;
    }
  });
  offsets[routes.length] = size;
  const packed: CompiledPart = {
    entries: part.entries.map((e) =>
      e.k === 'doc' && e.rule
        ? {
            ...e,
            rule: {
              ...e.rule,
              routes: e.rule.routes.map((r) => ({ route: r.route, cond: PACKED })),
            },
          }
        : e,
    ),
  };
  return { part: packed, issues, conds: texts.join(''), offsets, special };
}

/**
 * The part of a SliceEntry (read from the cache or sent by another worker) whose routes read their
 * condition on first use; undefined when the value is not a well-formed entry.
 */
export function unpackSlice(
  value: unknown,
): { part: CompiledPart; issues: readonly Issue[] } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const e = value as Partial<SliceEntry>;
  const { part, issues, conds, offsets, special } = e;
  if (!part || !Array.isArray(part.entries) || !Array.isArray(issues)) return undefined;
  if (typeof conds !== 'string' || !(offsets instanceof Int32Array)) return undefined;
  if (!(special instanceof Map)) return undefined;
  const blobs = special as ReadonlyMap<number, Uint8Array>;
  const routes = routesOf(part);
  if (offsets.length !== routes.length + 1) return undefined;
  routes.forEach((r, i) => {
    const blob = blobs.get(i);
    const from = offsets[i] ?? 0;
    const to = offsets[i + 1] ?? 0;
    let cond: IrNode | undefined;
    Object.defineProperty(r, 'cond', {
      get: () =>
        (cond ??= (blob ? deserialize(blob) : JSON.parse(conds.slice(from, to))) as IrNode),
      enumerable: true,
    });
  });
  return { part, issues };
}

/** Where entries live: `VIGIL_CACHE_DIR`, else `$XDG_CACHE_HOME/vigil`, else `~/.cache/vigil`. */
export function ruleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['VIGIL_CACHE_DIR'];
  if (explicit) return explicit;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg ? xdg : join(homedir(), '.cache'), 'vigil');
}

let fingerprint: string | undefined;

/**
 * The compiler's identity: the text of every module of `src/detect` (or `dist/detect`) and of the
 * detector, and the versions of Node (V8's serialisation format) and of the parsing libraries.
 */
function codeFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const hash = createHash('sha256').update(FORMAT).update(JSON.stringify(process.versions));
  const require = createRequire(import.meta.url);
  for (const lib of ['js-yaml', 'yaml', 're2']) {
    try {
      const pkg = JSON.parse(readFileSync(require.resolve(`${lib}/package.json`), 'utf8')) as {
        version?: string;
      };
      hash.update(`${lib}@${pkg.version ?? '?'}`);
    } catch {
      hash.update(`${lib}@?`);
    }
  }
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (/\.(ts|js)$/.test(e.name) && !/\.test\.ts$/.test(e.name))
        hash.update(e.name).update(readFileSync(p));
    }
  };
  visit(fileURLToPath(new URL('../detect/', import.meta.url)));
  // detector.ts beside this module; in the scan worker's bundle, the bundle itself (it holds both).
  const self = fileURLToPath(import.meta.url);
  const detector = self.replace(/rule-cache\.(ts|js)$/, 'detector.$1');
  hash.update(readFileSync(detector));
  fingerprint = hash.digest('hex');
  return fingerprint;
}

/** The cache key of a slice: changes whenever anything its compilation reads changes. */
export function sliceKey(setup: WorkerSetup): string {
  const hash = createHash('sha256')
    .update(codeFingerprint())
    .update('\0logsources\0')
    .update(setup.logsourcesYaml.text)
    .update('\0placeholders\0')
    .update(JSON.stringify(setup.placeholders));
  for (const f of setup.ruleFiles)
    hash.update('\0file\0').update(f.file).update('\0').update(f.text);
  return hash.digest('hex');
}

/**
 * The key of the prefilters of a rule set: its slices' keys, in order. The prefilters are a function of
 * the compiled rules, so the same slices always give the same ones.
 */
export function prefilterKey(sliceKeys: readonly string[]): string {
  const hash = createHash('sha256').update(`${FORMAT}\0prefilters`);
  for (const k of sliceKeys) hash.update('\0').update(k);
  return hash.digest('hex');
}

/** Reads the entry for `key` into shared memory, or undefined (absent or unreadable). */
export function readEntry(dir: string, key: string): SharedArrayBuffer | undefined {
  let fd: number | undefined;
  try {
    const path = join(dir, `${key}.bin`);
    fd = openSync(path, 'r');
    const size = statSync(path).size;
    const shared = new SharedArrayBuffer(size);
    const view = new Uint8Array(shared);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, view, done, size - done, done);
      if (n === 0) return undefined;
      done += n;
    }
    return shared;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes an entry (to a temporary name, then renamed: readers never see half an entry) and keeps the
 * newest MAX_ENTRIES. Failing to write is not an error: the next scan compiles again.
 */
export function writeEntry(dir: string, key: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(tmp, bytes, { mode: 0o600 });
    renameSync(tmp, join(dir, `${key}.bin`));
    const names = readdirSync(dir);
    const entries = names
      .filter((n) => n.endsWith('.bin'))
      .map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const old of entries.slice(MAX_ENTRIES)) unlinkSync(join(dir, old.n));
    // Left by a writer that died: gone after an hour.
    for (const n of names.filter((x) => x.endsWith('.tmp'))) {
      if (statSync(join(dir, n)).mtimeMs < Date.now() - 3_600_000) unlinkSync(join(dir, n));
    }
  } catch {
    // An unwritable cache only costs speed.
  }
}
