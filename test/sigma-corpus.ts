/** Every rule file the YAML readers are held to: SigmaHQ's rule folders in the shared data, and Vigil's own. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const shared = new URL('../../shared/data/sigma/', import.meta.url).pathname;
const repoRules = new URL('../rules/', import.meta.url).pathname;

const SIGMA_FOLDERS = [
  'rules',
  'rules-emerging-threats',
  'rules-threat-hunting',
  'rules-placeholder',
  'rules-compliance',
  'rules-dfir',
];

function yamlFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) yamlFiles(p, found);
    else if (/\.ya?ml$/.test(entry)) found.push(p);
  }
  return found;
}

/** The paths, sorted within each folder. */
export function sigmaRuleFiles(): string[] {
  return [...SIGMA_FOLDERS.flatMap((d) => yamlFiles(join(shared, d))), ...yamlFiles(repoRules)];
}
