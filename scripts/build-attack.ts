/** Builds `data/attack/enterprise.json` and `data/attack/NOTICE` from MITRE's ATT&CK Enterprise STIX bundle. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { format, resolveConfig } from 'prettier';
import {
  ATTACK_TABLE_FORMAT,
  type AttackTableData,
  type Mitigation,
  type MitigationLink,
  type Tactic,
  type Technique,
} from '../src/correlate/index.ts';

const packageRoot = fileURLToPath(new URL('../', import.meta.url));

/** Where the development tree keeps MITRE's data (`../shared/data/attack/`). */
const defaultInputDir = resolve(packageRoot, '../shared/data/attack');

/** Where the table and its notice are written (committed). */
const outputDir = join(packageRoot, 'data', 'attack');
export const outputJson = join(outputDir, 'enterprise.json');
export const outputNotice = join(outputDir, 'NOTICE');

const BUNDLE_NAME = /^enterprise-attack.*\.json(\.gz)?$/;
const LICENSE_NAME = 'LICENSE.txt';
const INDEX_NAME = 'enterprise-techniques.min.json';
const DOMAIN = 'enterprise-attack';

/** A problem with the input: the message says what is wrong and what to do. */
export class BuildError extends Error {
  override name = 'BuildError';
}

export interface BuildCounts {
  readonly tactics: number;
  readonly techniques: number;
  readonly subtechniques: number;
  readonly revoked: number;
  readonly mitigations: number;
  readonly links: number;
}

export interface BuildOutput {
  /** `enterprise.json`, formatted as prettier would (the repository checks formatting). */
  readonly json: string;
  readonly notice: string;
  readonly data: AttackTableData;
  readonly counts: BuildCounts;
}

// ---- STIX, as much of it as the table needs ------------------------------------------------------

interface ExternalReference {
  readonly source_name?: string;
  readonly external_id?: string;
}

interface StixObject {
  readonly type: string;
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly modified?: string;
  readonly revoked?: boolean;
  readonly x_mitre_deprecated?: boolean;
  readonly x_mitre_domains?: readonly string[];
  readonly x_mitre_version?: string;
  readonly x_mitre_shortname?: string;
  readonly x_mitre_is_subtechnique?: boolean;
  readonly x_mitre_platforms?: readonly string[];
  readonly kill_chain_phases?: readonly { kill_chain_name: string; phase_name: string }[];
  readonly external_references?: readonly ExternalReference[];
  readonly tactic_refs?: readonly string[];
  readonly relationship_type?: string;
  readonly source_ref?: string;
  readonly target_ref?: string;
  readonly definition_type?: string;
  readonly definition?: { readonly statement?: string };
}

function attackId(o: StixObject): string | undefined {
  return o.external_references?.find((r) => r.source_name === 'mitre-attack')?.external_id;
}

function requireId(o: StixObject): string {
  const id = attackId(o);
  if (id === undefined) throw new BuildError(`${o.id} (${o.type}) has no mitre-attack external id`);
  return id;
}

const live = (o: StixObject): boolean => o.revoked !== true && o.x_mitre_deprecated !== true;
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---- text ----------------------------------------------------------------------------------------

const ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  '#92': '\\',
  lbrace: '{',
  rbrace: '}',
};

/**
 * MITRE's description made self-contained: `(Citation: …)` removed, `[text](url)` reduced to its text,
 * `<code>`/`<b>`/`<br>` rewritten as Markdown, the few HTML entities decoded, spacing tidied. Angle
 * brackets that are not markup (`<username>`) stay.
 */
export function cleanText(text: string): string {
  return text
    .replace(/[ \t]*\(Citation:[^)]*\)/g, '')
    .replace(/\[([^\]]*)\]\([^)\s]*\)/g, '$1')
    .replace(/<\/?code>/g, '`')
    .replace(/<\/?b>/g, '**')
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/&(lt|gt|amp|quot|#92|lbrace|rbrace);/g, (m, name: string) => ENTITIES[name] ?? m)
    .replace(/(\S)[ \t]{2,}/g, '$1 ')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Words whose trailing dot does not end a sentence. */
const ABBREVIATIONS = new Set([
  'e.g',
  'i.e',
  'vs',
  'inc',
  'ltd',
  'corp',
  'co',
  'mr',
  'ms',
  'dr',
  'st',
  'no',
  'u.s',
  'al',
  'approx',
  'fig',
  'cf',
  'ca',
]);

/** The first sentence of a cleaned description, as one line of plain text (no Markdown). */
export function firstSentence(cleaned: string): string {
  const para = (cleaned.split(/\n\s*\n/)[0] ?? '')
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  // A sentence ends before a capital, a digit, a camel-cased name (`macOS`, `iCloud`) or the end;
  // MITRE sometimes omits the space (`on systems.The BIOS`), which counts after a lower-case word.
  const end = /[.!?](?=\s+["'(]?[A-Z0-9]|\s+[a-z]+[A-Z]|\s*$|[A-Z][a-z]+\s)/g;
  for (let m = end.exec(para); m; m = end.exec(para)) {
    const word = /(\S+)$/.exec(para.slice(0, m.index))?.[1] ?? '';
    const bare = word.replace(/^[("']+/, '').toLowerCase();
    if (ABBREVIATIONS.has(bare) || /^[a-z]$/i.test(bare)) continue;
    if (/^\S/.test(para.slice(m.index + 1)) && !/^[a-z]{2,}$/.test(word)) continue;
    return para.slice(0, m.index + 1);
  }
  return para;
}

// ---- reading the input ---------------------------------------------------------------------------

function listInput(inputDir: string): { bundle: string; license: string; index?: string } {
  if (!existsSync(inputDir) || !statSync(inputDir).isDirectory()) {
    throw new BuildError(
      `no ATT&CK input folder at ${inputDir}. It must hold MITRE's Enterprise STIX bundle ` +
        `(enterprise-attack*.json or .json.gz) and its ${LICENSE_NAME}; pass another folder as ` +
        `npm run build:attack -- <folder>`,
    );
  }
  const names = readdirSync(inputDir).sort(byString);
  const bundles = names.filter((n) => BUNDLE_NAME.test(n));
  if (bundles.length !== 1) {
    throw new BuildError(
      bundles.length === 0
        ? `no STIX bundle (enterprise-attack*.json or .json.gz) in ${inputDir}`
        : `more than one STIX bundle in ${inputDir}: ${bundles.join(', ')}; keep one`,
    );
  }
  if (!names.includes(LICENSE_NAME)) {
    throw new BuildError(
      `no ${LICENSE_NAME} in ${inputDir}: MITRE's terms must ship with the table, so the build needs them`,
    );
  }
  return {
    bundle: join(inputDir, bundles[0] ?? ''),
    license: join(inputDir, LICENSE_NAME),
    ...(names.includes(INDEX_NAME) ? { index: join(inputDir, INDEX_NAME) } : {}),
  };
}

function readBundle(file: string): { objects: StixObject[]; sha256: string } {
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let parsed: unknown;
  try {
    const text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BuildError(`${file} is not a readable JSON bundle: ${String(err)}`);
  }
  const objects = (parsed as { type?: unknown; objects?: unknown } | null)?.objects;
  if ((parsed as { type?: unknown } | null)?.type !== 'bundle' || !Array.isArray(objects)) {
    throw new BuildError(`${file} is not a STIX bundle (no "type": "bundle" with "objects")`);
  }
  for (const o of objects as unknown[]) {
    const so = o as { type?: unknown; id?: unknown } | null;
    if (typeof so?.type !== 'string' || typeof so.id !== 'string') {
      throw new BuildError(`${file} holds an object without a type and id`);
    }
  }
  return { objects: objects as StixObject[], sha256 };
}

/** The release: from the bundle's x-mitre-collection when it has one, else from the data folder's README. */
function release(
  objects: readonly StixObject[],
  inputDir: string,
): { version: string; date: string; versionFrom: string; dateFrom: string } {
  const collection = objects.find((o) => o.type === 'x-mitre-collection');
  if (collection?.x_mitre_version !== undefined && collection.modified !== undefined) {
    return {
      version: collection.x_mitre_version,
      date: collection.modified.slice(0, 10),
      versionFrom: 'the bundle’s x-mitre-collection',
      dateFrom: 'the bundle’s x-mitre-collection (modified)',
    };
  }
  const readme = join(inputDir, '..', 'README.md');
  const m = existsSync(readme)
    ? /ATT&CK Enterprise v(\d+(?:\.\d+)*)/.exec(readFileSync(readme, 'utf8'))
    : null;
  if (!m?.[1]) {
    throw new BuildError(
      `the bundle has no x-mitre-collection object giving ATT&CK's version, and ${readme} names ` +
        `none ("MITRE ATT&CK Enterprise vNN.N"); use a bundle as MITRE publishes it`,
    );
  }
  const newest = objects.reduce(
    (acc, o) => (o.modified !== undefined && o.modified > acc ? o.modified : acc),
    '',
  );
  return {
    version: m[1],
    date: newest.slice(0, 10),
    versionFrom: 'the data folder’s README.md (the bundle has no x-mitre-collection object)',
    dateFrom: 'the newest object modification in the bundle (it has no x-mitre-collection object)',
  };
}

// ---- the build -----------------------------------------------------------------------------------

/** Builds the table and its notice in memory. Deterministic: the same input gives the same bytes. */
export async function buildAttack(inputDir: string = defaultInputDir): Promise<BuildOutput> {
  const input = listInput(inputDir);
  const { objects, sha256 } = readBundle(input.bundle);
  const byRef = new Map(objects.map((o) => [o.id, o]));
  const inDomain = (o: StixObject): boolean => o.x_mitre_domains?.includes(DOMAIN) ?? true;
  const relationships = (type: string): StixObject[] =>
    objects.filter((o) => o.type === 'relationship' && o.relationship_type === type && live(o));

  // Tactics, in the enterprise matrix's order (the kill chain).
  const matrix = objects.find(
    (o) => o.type === 'x-mitre-matrix' && live(o) && attackId(o) === DOMAIN,
  );
  if (!matrix?.tactic_refs)
    throw new BuildError(`the bundle has no ${DOMAIN} matrix with tactic_refs`);
  const tactics: Tactic[] = matrix.tactic_refs.map((ref) => {
    const t = byRef.get(ref);
    if (t?.x_mitre_shortname === undefined || t.name === undefined) {
      throw new BuildError(
        `the matrix names tactic ${ref}, which the bundle lacks or leaves unnamed`,
      );
    }
    return { id: requireId(t), shortname: t.x_mitre_shortname, name: t.name };
  });
  const tacticOrder = new Map(tactics.map((t, i) => [t.shortname, i]));

  // Techniques and sub-techniques that are current.
  const parents = new Map<string, string>();
  for (const r of relationships('subtechnique-of')) {
    if (r.source_ref !== undefined && r.target_ref !== undefined)
      parents.set(r.source_ref, r.target_ref);
  }
  const techniqueRefs = new Map<string, string>();
  const techniques: Technique[] = [];
  for (const o of objects) {
    if (o.type !== 'attack-pattern' || !live(o) || !inDomain(o)) continue;
    const id = requireId(o);
    const phases = (o.kill_chain_phases ?? []).filter((p) => p.kill_chain_name === 'mitre-attack');
    const techniqueTactics = [...new Set(phases.map((p) => p.phase_name))];
    for (const s of techniqueTactics) {
      if (!tacticOrder.has(s))
        throw new BuildError(`${id} names tactic "${s}", not in the ${DOMAIN} matrix`);
    }
    techniqueTactics.sort((a, b) => (tacticOrder.get(a) ?? 0) - (tacticOrder.get(b) ?? 0));
    const isSubtechnique = o.x_mitre_is_subtechnique === true;
    let parent: string | undefined;
    if (isSubtechnique) {
      const p = byRef.get(parents.get(o.id) ?? '');
      parent = p ? attackId(p) : undefined;
      if (parent === undefined || parent !== id.split('.')[0]) {
        throw new BuildError(
          `sub-technique ${id} has no parent technique matching its id (${String(parent)})`,
        );
      }
    }
    techniqueRefs.set(o.id, id);
    techniques.push({
      id,
      name: o.name ?? id,
      tactics: techniqueTactics,
      isSubtechnique,
      ...(parent === undefined ? {} : { parent }),
      platforms: [...(o.x_mitre_platforms ?? [])].sort(
        (a, b) => byString(a.toLowerCase(), b.toLowerCase()) || byString(a, b),
      ),
      description: firstSentence(cleanText(o.description ?? '')),
    });
  }
  techniques.sort((a, b) => byString(a.id, b.id));
  const liveIds = new Set(techniques.map((t) => t.id));

  // Revoked technique ids → their current replacement (revoked-by chains followed).
  const revokedBy = new Map<string, string>();
  for (const r of objects) {
    if (
      r.type === 'relationship' &&
      r.relationship_type === 'revoked-by' &&
      r.source_ref !== undefined &&
      r.target_ref !== undefined
    ) {
      revokedBy.set(r.source_ref, r.target_ref);
    }
  }
  const revoked: Record<string, string> = {};
  for (const o of objects) {
    if (o.type !== 'attack-pattern' || o.revoked !== true || !inDomain(o)) continue;
    let ref = o.id;
    const seen = new Set<string>();
    while (!techniqueRefs.has(ref) && revokedBy.has(ref) && !seen.has(ref)) {
      seen.add(ref);
      ref = revokedBy.get(ref) ?? ref;
    }
    const current = techniqueRefs.get(ref);
    const id = requireId(o);
    if (current !== undefined && !liveIds.has(id)) revoked[id] = current;
  }
  const revokedSorted: Record<string, string> = {};
  for (const k of Object.keys(revoked).sort(byString)) revokedSorted[k] = revoked[k] ?? '';

  // Mitigations and what they mitigate.
  const mitigationRefs = new Map<string, string>();
  const mitigations: Mitigation[] = [];
  for (const o of objects) {
    if (o.type !== 'course-of-action' || !live(o) || !inDomain(o)) continue;
    const id = requireId(o);
    if (!/^M\d{4}$/.test(id)) continue;
    mitigationRefs.set(o.id, id);
    mitigations.push({
      id,
      name: o.name ?? id,
      description: firstSentence(cleanText(o.description ?? '')),
    });
  }
  mitigations.sort((a, b) => byString(a.id, b.id));
  const mitigates: MitigationLink[] = [];
  for (const r of relationships('mitigates')) {
    const mitigation = mitigationRefs.get(r.source_ref ?? '');
    const technique = techniqueRefs.get(r.target_ref ?? '');
    if (mitigation === undefined || technique === undefined) continue;
    mitigates.push({ mitigation, technique, description: cleanText(r.description ?? '') });
  }
  mitigates.sort(
    (a, b) => byString(a.technique, b.technique) || byString(a.mitigation, b.mitigation),
  );

  if (input.index !== undefined) crossCheck(input.index, objects);

  const licence = readFileSync(input.license, 'utf8');
  const markings = [
    ...new Set(
      objects
        .filter((o) => o.type === 'marking-definition' && o.definition_type === 'statement')
        .map((o) => o.definition?.statement ?? '')
        .filter((s) => s !== ''),
    ),
  ].sort(byString);
  const designation = /"(©[^"]*The MITRE Corporation[^"]*)"/.exec(licence)?.[1];
  const rel = release(objects, inputDir);
  const data: AttackTableData = {
    format: ATTACK_TABLE_FORMAT,
    attack: {
      domain: DOMAIN,
      version: rel.version,
      date: rel.date,
      versionFrom: rel.versionFrom,
      dateFrom: rel.dateFrom,
      source: { file: basename(input.bundle), sha256 },
      copyright: [...(designation === undefined ? [] : [designation]), ...markings],
    },
    tactics,
    techniques,
    revoked: revokedSorted,
    mitigations,
    mitigates,
  };
  const config = (await resolveConfig(outputJson)) ?? {};
  const json = await format(JSON.stringify(data, null, 2), { ...config, parser: 'json' });
  return {
    json,
    notice: notice(data, licence, markings),
    data,
    counts: {
      tactics: tactics.length,
      techniques: techniques.filter((t) => !t.isSubtechnique).length,
      subtechniques: techniques.filter((t) => t.isSubtechnique).length,
      revoked: Object.keys(revokedSorted).length,
      mitigations: mitigations.length,
      links: mitigates.length,
    },
  };
}

/** The compact index that ships beside the bundle must agree with it (name, tactics, status). */
function crossCheck(indexFile: string, objects: readonly StixObject[]): void {
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as Record<
    string,
    { name?: string; tactics?: string[]; revoked?: boolean; deprecated?: boolean }
  >;
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const o of objects) {
    if (o.type !== 'attack-pattern') continue;
    const id = requireId(o);
    seen.add(id);
    const row = index[id];
    const tactics = (o.kill_chain_phases ?? [])
      .map((p) => p.phase_name)
      .sort(byString)
      .join(',');
    if (!row) problems.push(`${id} is missing from ${INDEX_NAME}`);
    else if (
      row.name !== o.name ||
      (row.revoked ?? false) !== (o.revoked ?? false) ||
      (row.deprecated ?? false) !== (o.x_mitre_deprecated ?? false) ||
      [...(row.tactics ?? [])].sort(byString).join(',') !== tactics
    ) {
      problems.push(`${id} differs between the bundle and ${INDEX_NAME}`);
    }
  }
  for (const id of Object.keys(index))
    if (!seen.has(id)) problems.push(`${id} is only in ${INDEX_NAME}`);
  if (problems.length > 0) {
    throw new BuildError(
      `the bundle and ${INDEX_NAME} are not the same release (${problems.length} differences: ` +
        `${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''})`,
    );
  }
}

function notice(data: AttackTableData, licence: string, markings: readonly string[]): string {
  const a = data.attack;
  const lines = [
    `data/attack/enterprise.json is derived from MITRE ATT&CK® Enterprise v${a.version} (${a.date}),`,
    `the STIX 2.1 bundle ${a.source.file} (sha256 ${a.source.sha256}).`,
    'scripts/build-attack.ts keeps its current tactics, techniques, sub-techniques and mitigations, the',
    'mitigates relationships and the revoked-technique replacements; descriptions are shortened and their',
    'citations removed.',
    '',
    'The copyright designation and the licence below are MITRE’s, reproduced as their terms require.',
    `The licence is copied unchanged from the ${LICENSE_NAME} distributed with that data (in Vigil's`,
    'development tree, ../shared/data/attack/LICENSE.txt); the marking statement is copied from the bundle.',
    '',
    ...markings.map((m) => `Marking statement: ${m}`),
    '',
    `----- ${LICENSE_NAME} -----`,
    '',
  ];
  return `${lines.join('\n')}${licence.replace(/\r\n/g, '\n').replace(/\n*$/, '\n')}`;
}

/** Writes the table and its notice; prints what was written. */
async function main(argv: readonly string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  if (args.length > 1 || args.some((a) => a.startsWith('-'))) {
    process.stderr.write('usage: npm run build:attack [-- <folder with the ATT&CK STIX bundle>]\n');
    return 2;
  }
  const inputDir = resolve(args[0] ?? defaultInputDir);
  let out: BuildOutput;
  try {
    out = await buildAttack(inputDir);
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    process.stderr.write(`build-attack: ${err.message}\n`);
    return 1;
  }
  mkdirSync(outputDir, { recursive: true });
  writeFileSync(outputJson, out.json);
  writeFileSync(outputNotice, out.notice);
  const c = out.counts;
  process.stdout.write(
    `ATT&CK Enterprise v${out.data.attack.version} (${out.data.attack.date}) → ${outputJson}\n` +
      `  ${Buffer.byteLength(out.json)} bytes; ${c.tactics} tactics, ${c.techniques} techniques, ` +
      `${c.subtechniques} sub-techniques, ${c.revoked} revoked ids, ${c.mitigations} mitigations, ` +
      `${c.links} mitigation links\n`,
  );
  return 0;
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  process.exitCode = await main(process.argv.slice(2));
}
