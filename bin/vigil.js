#!/usr/bin/env node
// Entry point of the `vigil` command. Runs the compiled JavaScript in dist/ (built by `npm ci` through the
// `prepare` script) when it is at least as new as every source file; otherwise the TypeScript sources
// through tsx, so a working tree being edited never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.built');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const compiled =
  process.env.VIGIL_FROM_SOURCE !== '1' &&
  existsSync(stamp) &&
  statSync(stamp).mtimeMs >= newestSource(join(root, 'src'));

let main;
if (compiled) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
