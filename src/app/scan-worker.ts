/** A `vigil scan` worker thread: parses the inputs it is handed and matches every event against the rules. */
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { parseEvtx } from '../ingest/evtx/index.ts';
import { readBytes } from '../ingest/index.ts';
import { levelRank } from '../core/index.ts';
import type { Event, Issue, ReadBatch, RuleRef } from '../core/index.ts';
import {
  CorrelationEngine,
  locateIn,
  type CompiledPart,
  type Locate,
  type PrefilterData,
} from '../detect/index.ts';
import { hostOf, renderLine } from './records.ts';
import { compileSlice, linkDetector, type BuiltDetector } from './detector.ts';
import { readTextFiles, ruleSetup } from './files.ts';
import { PrefilterExchange } from './prefilter-exchange.ts';
import {
  packSlice,
  prefilterKey,
  readEntry,
  sliceKey,
  unpackSlice,
  writeEntry,
} from './rule-cache.ts';
import {
  isEvtxInput,
  type FromWorker,
  type ScanTask,
  type ToWorker,
  type HitColumns,
  type WholeHit,
  type WorkerInit,
} from './scan-protocol.ts';

if (!parentPort) throw new Error('scan-worker must run in a worker thread');
const port: MessagePort = parentPort;
const init = workerData as WorkerInit;

let send = (msg: FromWorker, transfer?: readonly ArrayBuffer[]): void => {
  port.postMessage(msg, transfer);
};

const steps: [string, number][] = [];
const step = (name: string): void => {
  steps.push([name, performance.timeOrigin + performance.now()]);
};
step('started');
const ruleFiles = await new Promise<Extract<ToWorker, { type: 'rule-files' }>>((resolve) => {
  const onList = (msg: ToWorker): void => {
    if (msg.type !== 'rule-files') return;
    port.off('message', onList);
    resolve(msg);
  };
  port.on('message', onList);
});
step('listed');
const { setup, issues: readIssues } = await ruleSetup(
  init.ruleDirs,
  init.builtin,
  init.tenant,
  { part: init.part, parts: init.parts },
  ruleFiles,
);
let detector: BuiltDetector | undefined;
/** Prefilters other workers built (cached with this worker's own at the end). */
let received: ReadonlyMap<string, PrefilterData> = new Map();
let exchange: PrefilterExchange | undefined;
/** Each rule's position in the rule set, which is how hits name their rule to the coordinator. */
const ruleIndex = new Map<RuleRef, number>();
/** The prefilters taken from the cache, and the key to save them under (when the rule cache is on). */
let prefilterCache: { key: string; loaded: ReadonlyMap<string, PrefilterData> } | undefined;
try {
  const loaded = await loadDetector();
  detector = loaded.detector;
  if (loaded.prefilterKey !== undefined) {
    prefilterCache = { key: loaded.prefilterKey, loaded: readPrefilters(loaded.prefilterKey) };
    detector.ruleset.usePrefilters(prefilterCache.loaded);
    step('prefilters');
  }
  if (init.exchange) {
    const ruleset = detector.ruleset;
    const shared = new PrefilterExchange(init.exchange, (route, data) => {
      ruleset.usePrefilters(new Map([[route, data]]));
    });
    exchange = shared;
    received = shared.received;
    ruleset.awaitPrefilter = (route, group) => shared.await(route, group);
    ruleset.onPrefilterBuilt = (route, data, group) => {
      shared.built(route, data, group);
    };
  }
  const refs = detector.ruleset.rules.map((r) => r.ref);
  refs.forEach((ref, i) => ruleIndex.set(ref, i));
  step('ready');
  send({
    type: 'ready',
    steps,
    report: detector.report,
    correlations: detector.correlations,
    ...(init.part === 0 ? { rules: refs } : {}),
  });
} catch (err) {
  send({
    type: 'setup-failed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
}

/** A compiled slice: the part and the logsource mapping's problems. */
interface Slice {
  readonly part: CompiledPart;
  readonly issues: readonly Issue[];
}

/**
 * Compiles this worker's slice of the rules (or takes it from the cache), trades compiled slices with
 * the other workers, and links them all.
 */
async function loadDetector(): Promise<{ detector: BuiltDetector; prefilterKey?: string }> {
  step('read');
  const key = init.cacheDir === undefined ? undefined : sliceKey(setup);
  let bytes = key === undefined ? undefined : readEntry(init.cacheDir ?? '', key);
  let own: Slice | undefined;
  if (bytes) {
    try {
      own = unpackSlice(deserialize(new Uint8Array(bytes)));
    } catch {
      own = undefined;
    }
    if (own) step('cached');
  }
  if (!own) {
    const compiled = compileSlice(setup);
    own = { part: compiled.part, issues: compiled.issues };
    step('compiled');
    if (init.parts > 1 || key !== undefined) {
      const serialised = serialize(packSlice(own.part, own.issues));
      bytes = new SharedArrayBuffer(serialised.byteLength);
      new Uint8Array(bytes).set(serialised);
      if (key !== undefined) writeEntry(init.cacheDir ?? '', key, serialised);
    }
  }
  // Positions for a duplicate id: this slice's files are at hand, another slice's are read again (rare).
  const here = locateIn(setup.ruleFiles);
  const locate: Locate = (file, docIndex, path) =>
    here(file, docIndex, path) ?? locateOnDisk(file, docIndex, path);
  if (init.parts === 1) {
    send({ type: 'compiled', issues: readIssues, steps, ...(key ? { key } : {}) });
    return {
      detector: linkDetector([own.part], locate, own.issues),
      ...(key ? { prefilterKey: prefilterKey([key]) } : {}),
    };
  }
  const linked = new Promise<Extract<ToWorker, { type: 'link' }>>((resolve) => {
    const onLink = (msg: ToWorker): void => {
      if (msg.type !== 'link') return;
      port.off('message', onLink);
      resolve(msg);
    };
    port.on('message', onLink);
  });
  step('sent');
  send({
    type: 'compiled',
    ...(bytes ? { part: bytes } : {}),
    issues: readIssues,
    steps,
    ...(key ? { key } : {}),
  });
  const link = await linked;
  step('received');
  const ownPart = own.part;
  const parts = link.parts.map((b, i) => (i === init.part ? ownPart : otherPart(b)));
  step('deserialised');
  return {
    detector: linkDetector(parts, locate, own.issues),
    ...(link.prefilterKey !== undefined ? { prefilterKey: link.prefilterKey } : {}),
  };
}

/** Another worker's compiled slice, from the shared memory it sent. */
function otherPart(bytes: SharedArrayBuffer): CompiledPart {
  const slice = unpackSlice(deserialize(new Uint8Array(bytes)));
  if (!slice) throw new Error('a compiled rule slice from another worker is damaged');
  return slice.part;
}

/** Cached prefilters of this rule set (none when absent or unreadable). */
function readPrefilters(key: string): ReadonlyMap<string, PrefilterData> {
  const bytes = readEntry(init.cacheDir ?? '', key);
  if (!bytes) return new Map();
  try {
    const value: unknown = deserialize(new Uint8Array(bytes));
    return value instanceof Map ? (value as Map<string, PrefilterData>) : new Map();
  } catch {
    return new Map();
  }
}

/** Caches the prefilters built so far, with those read from the cache, when this scan built new ones. */
function savePrefilters(): void {
  if (!prefilterCache || !detector) return;
  const { key, loaded } = prefilterCache;
  const built = new Map([...received, ...detector.ruleset.builtPrefilters()]);
  if ([...built.keys()].every((route) => loaded.has(route))) return;
  writeEntry(init.cacheDir ?? '', key, serialize(new Map([...loaded, ...built])));
}

function locateOnDisk(
  file: string,
  docIndex: number,
  path: readonly (string | number)[],
): ReturnType<Locate> {
  const read = readTextFiles([file]);
  return locateIn(read.files)(file, docIndex, path);
}

function run(task: ScanTask, ruleset: BuiltDetector['ruleset']): void {
  let bytes: Uint8Array;
  if (task.localFile !== undefined) {
    try {
      bytes = readFileSync(task.localFile);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? String(err);
      send({
        type: 'result',
        id: task.id,
        records: 0,
        hits: noHits(),
        issues: [
          {
            code: 'READ_IO',
            severity: 'error',
            message: `cannot read ${task.file}: ${why}`,
            at: { file: task.file },
          },
        ],
      });
      return;
    }
  } else {
    bytes = new Uint8Array(task.bytes ?? new SharedArrayBuffer(0), 0, task.length ?? 0);
  }
  const batches: Iterable<ReadBatch> =
    task.chunkOffsets ||
    (task.localFile !== undefined && isEvtxInput(bytes, task.file, task.format))
      ? parseEvtx(bytes, task.file, {
          tenant: setup.tenant,
          ...(task.chunkOffsets ? { chunkOffsets: task.chunkOffsets } : {}),
        })
      : readBytes(bytes, task.file, {
          tenant: setup.tenant,
          format: task.format,
          ...(task.referenceTime === undefined ? {} : { referenceTime: task.referenceTime }),
        });
  let records = 0;
  const issues: Issue[] = [];
  const hitRows = new HitRows();
  const render = init.render;
  const lines = render ? lineBuffer.reset() : undefined;
  for (const batch of batches) {
    records += batch.events.length;
    issues.push(...batch.issues);
    for (const event of batch.events) {
      const hits = ruleset.match(event);
      for (const hit of hits) {
        const rule = ruleIndex.get(hit.rule) ?? -1;
        // The line carries the whole event; the coordinator gets it whole only to correlate it.
        if (
          lines &&
          render &&
          levelRank(hit.rule.level) >= render.minRank &&
          !correlated(hit.rule)
        ) {
          const at = lines.size;
          hitRows.rendered(rule, hit.ts, at, lines.add(renderLine(render.format, hit)), event);
        } else hitRows.whole({ rule, ts: hit.ts, events: hit.events, matched: hit.matched });
      }
    }
  }
  const hits = hitRows.columns();
  const moved = [hits.numbers.buffer as ArrayBuffer];
  if (lines && lines.size > 0) {
    const buffer = lines.take();
    send({ type: 'result', id: task.id, records, issues, hits, lines: buffer }, [...moved, buffer]);
  } else send({ type: 'result', id: task.id, records, issues, hits }, moved);
}

/** A task's hits as they are found, for `HitColumns`. */
class HitRows {
  private readonly numbers: number[] = [];
  private readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly wholeHits: WholeHit[] = [];

  rendered(rule: number, ts: number, at: number, end: number, event: Event): void {
    const o = event.origin;
    this.numbers.push(
      rule,
      ts,
      at,
      end,
      this.string(hostOf(event.fields)),
      this.string(event.tenant),
      o.file === undefined ? -1 : this.string(o.file),
      this.string(o.format),
      o.recordId ?? Number.NaN,
      o.offset ?? Number.NaN,
    );
  }

  whole(hit: WholeHit): void {
    this.wholeHits.push(hit);
    this.numbers.push(hit.rule, hit.ts, -1, -1, -1, -1, -1, -1, Number.NaN, Number.NaN);
  }

  columns(): HitColumns {
    return {
      numbers: Float64Array.from(this.numbers),
      strings: this.strings,
      whole: this.wholeHits,
    };
  }

  private string(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/**
 * Rendered lines as UTF-8, one after another in one buffer: the coordinator takes the buffer whole (moved
 * between threads, not copied) and writes the lines out as they are, where strings would be copied to
 * it, copied again to join them, and encoded at the end.
 */
class LineBuffer {
  private static readonly encoder = new TextEncoder();
  private bytes = new Uint8Array(1 << 16);
  size = 0;

  /** Appends `line`; returns the new size. */
  add(line: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const need = this.size + line.length * 3;
    if (need > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(need, this.bytes.length * 2));
      bigger.set(this.bytes.subarray(0, this.size));
      this.bytes = bigger;
    }
    this.size += LineBuffer.encoder.encodeInto(line, this.bytes.subarray(this.size)).written;
    return this.size;
  }

  /** The lines so far, in a buffer of their own size. */
  take(): ArrayBuffer {
    return this.bytes.buffer.slice(0, this.size);
  }

  reset(): this {
    this.size = 0;
    return this;
  }
}

/** One per worker: a task's lines are copied out of it at the end of the task. */
const lineBuffer = new LineBuffer();

function noHits(): HitColumns {
  return { numbers: new Float64Array(0), strings: [], whole: [] };
}

/** Rules whose hits correlation rules read (by id or name). */
let referenced: ReadonlySet<string> | undefined;
function correlated(rule: RuleRef): boolean {
  referenced ??= new CorrelationEngine(detector?.correlations ?? []).referenced;
  return referenced.has(rule.id) || (rule.name !== undefined && referenced.has(rule.name));
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'link' || msg.type === 'rule-files') return;
  if (msg.type === 'save-prefilters') {
    try {
      savePrefilters();
    } finally {
      send({ type: 'saved' });
    }
    return;
  }
  if (msg.type === 'stop') {
    send = () => undefined;
    exchange?.close();
    port.close();
    return;
  }
  if (!detector) return;
  try {
    run(msg, detector.ruleset);
  } catch (err) {
    send({
      type: 'result',
      id: msg.id,
      records: 0,
      issues: [
        {
          code: 'INTERNAL',
          severity: 'error',
          message: `scanning failed: ${err instanceof Error ? err.message : String(err)}`,
          at: { file: msg.file },
        },
      ],
      hits: noHits(),
    });
  }
});
