/** File-system helpers of the composition root: where Vigil's shipped data lives, and walking rule folders. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { Issue } from '../core/index.ts';
import type { TextFile, WorkerSetup } from './scan-protocol.ts';

/** The repository (or installed package) root: `rules/` and `config/` live there. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Vigil's own Sigma rules, loaded by default. */
export const builtinRulesDir = join(packageRoot, 'rules');

/** The logsource → event routing and field mappings. */
export const logsourcesFile = join(packageRoot, 'config', 'logsources.yml');

/** Placeholder values for the `expand` modifier. */
export const placeholdersFile = join(packageRoot, 'config', 'placeholders.yml');

export type { TextFile } from './scan-protocol.ts';

const RULE_EXTENSIONS = /\.ya?ml$/i;

/**
 * Reads every `.yml`/`.yaml` file under the given files or directories (recursively, sorted, skipping
 * dot-entries). Unreadable paths become `READ_IO` issues; the rest is still read. Synchronous on purpose:
 * thousands of small rule files read 20× faster this way than through one awaited call per file.
 */
export function readRuleFiles(paths: readonly string[]): { files: TextFile[]; issues: Issue[] } {
  const files: TextFile[] = [];
  const issues: Issue[] = [];
  const seen = new Set<string>();

  const visit = (path: string, explicit: boolean): void => {
    const abs = resolve(path);
    if (seen.has(abs)) return;
    seen.add(abs);
    try {
      if (statSync(path).isDirectory()) {
        const entries = readdirSync(path)
          .filter((e) => !e.startsWith('.'))
          .sort();
        for (const entry of entries) visit(join(path, entry), false);
      } else if (explicit || RULE_EXTENSIONS.test(path)) {
        files.push({ file: path, text: readFileSync(path, 'utf8') });
      }
    } catch (err) {
      issues.push({
        code: 'READ_IO',
        severity: 'error',
        message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        at: { file: path },
      });
    }
  };
  for (const p of paths) visit(p, true);
  return { files, issues };
}

/** Reads rules and mapping data the way every `vigil` command does. */
export async function ruleSetup(
  ruleDirs: readonly string[],
  builtin: boolean,
  tenant: string,
): Promise<{ setup: WorkerSetup; issues: Issue[] }> {
  const dirs = builtin ? [builtinRulesDir, ...ruleDirs] : [...ruleDirs];
  const { files, issues } = readRuleFiles(dirs);
  const logsourcesYaml: TextFile = {
    file: logsourcesFile,
    text: await readFile(logsourcesFile, 'utf8'),
  };
  const placeholders = await readPlaceholders(issues);
  return { setup: { ruleFiles: files, logsourcesYaml, placeholders, tenant }, issues };
}

async function readPlaceholders(issues: Issue[]): Promise<Record<string, string[]>> {
  let text: string;
  try {
    text = await readFile(placeholdersFile, 'utf8');
  } catch {
    return {};
  }
  const data: unknown = parseYaml(text);
  const out: Record<string, string[]> = {};
  if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      if (Array.isArray(v)) out[k] = v.map(String);
      else
        issues.push({
          code: 'SIGMA_PLACEHOLDER',
          severity: 'error',
          message: `placeholder "${k}" must be a list of values`,
          at: { file: placeholdersFile },
        });
    }
  }
  return out;
}
