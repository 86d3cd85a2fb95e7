/** Shared helpers for the benchmark scripts: paths to the shared data and timing of child processes. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));
export const sharedData = join(repoRoot, '..', 'shared', 'data');

/** Whether `dist/` was built after the last change to any `src/` file (then bin/vigil.js runs it). */
export function distIsFresh(): boolean {
  const stamp = join(repoRoot, 'dist', '.built');
  if (!existsSync(stamp)) return false;
  const newest = (dir: string): number => {
    let n = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) n = Math.max(n, newest(p));
      else if (e.name.endsWith('.ts')) n = Math.max(n, statSync(p).mtimeMs);
    }
    return n;
  };
  return statSync(stamp).mtimeMs >= newest(join(repoRoot, 'src'));
}

export function listFiles(dir: string, ext: RegExp, found: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) listFiles(p, ext, found);
    else if (ext.test(entry)) found.push(p);
  }
  return found;
}

export interface Timed {
  readonly seconds: number;
  /** Peak resident set size in MiB, from /usr/bin/time. */
  readonly peakMiB: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

/** Runs a command under /usr/bin/time and returns wall time and peak RSS. */
export function timeCommand(
  cmd: string,
  args: readonly string[],
  cwd = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): Timed {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '__PEAK_KB=%M', cmd, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const seconds = (performance.now() - t0) / 1000;
  const m = /__PEAK_KB=(\d+)/.exec(r.stderr);
  return {
    seconds,
    peakMiB: m ? Number(m[1]) / 1024 : NaN,
    stdout: r.stdout,
    stderr: r.stderr.replace(/__PEAK_KB=\d+\n?/, ''),
    status: r.status,
  };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}
