/**
 * The logsource mapping, parsed once at build time. `npm run build` writes `dist/logsources.json`: the
 * parsed table of `config/logsources.yml` and the SHA-256 of the text it came from. Every thread that
 * compiles rules takes the table from there while the mapping's text still has that hash, instead of
 * parsing 50 KB of YAML with positions (~80 ms cold, in each of them); any other text — an edited
 * mapping, a tree that was never built — is parsed as before, with its problems located.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, type Issue, type Result } from '../core/index.ts';
import {
  parseLogsourceMap,
  routingTableFromData,
  type RoutingTable,
  type RoutingTableData,
} from '../detect/index.ts';
import { logsourcesFile, packageRoot, type TextFile } from './files.ts';

/** Where the build puts the parsed shipped mapping. */
export const routingDataFile = join(packageRoot, 'dist', 'logsources.json');

interface Stored {
  readonly sha256: string;
  readonly warnings: readonly Issue[];
  readonly table: RoutingTableData;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The routing table of `mapping`: the build's parse when the text is the one it parsed, else parsed now. */
export function loadLogsourceMap(
  mapping: TextFile,
  stored = routingDataFile,
): Result<RoutingTable> {
  const built = readStored(stored);
  if (built && built.sha256 === sha256(mapping.text)) {
    const warnings = built.warnings.map((w) => ({ ...w, at: { ...w.at, file: mapping.file } }));
    return ok(routingTableFromData(built.table), warnings);
  }
  return parseLogsourceMap(mapping.text, mapping.file);
}

function readStored(file: string): Stored | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<Stored>;
    if (typeof value.sha256 !== 'string' || !Array.isArray(value.table?.entries)) return undefined;
    return value as Stored;
  } catch {
    return undefined;
  }
}

/**
 * Parses `source` (the shipped mapping) and writes its table to `target` (run by `npm run build`). A
 * mapping with errors writes nothing: every command then parses it and reports them where they are.
 */
export function writeRoutingData(source = logsourcesFile, target = routingDataFile): boolean {
  const text = readFileSync(source, 'utf8');
  const parsed = parseLogsourceMap(text, source);
  if (!parsed.ok) {
    rmSync(target, { force: true });
    return false;
  }
  const stored: Stored = {
    sha256: sha256(text),
    warnings: parsed.warnings ?? [],
    table: parsed.value.toData(),
  };
  writeFileSync(target, `${JSON.stringify(stored)}\n`);
  return true;
}
