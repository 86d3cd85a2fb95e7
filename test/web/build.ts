/** Builds web/dist when it is missing or older than the console's sources (tests, screenshots, bench). */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
export const WEB_DIST = join(ROOT, 'web', 'dist');
/** Held while one process builds, so that browser test files run in parallel build once. */
const LOCK = join(ROOT, 'web', '.build-lock');

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
}

function fresh(): boolean {
  const web = join(ROOT, 'web');
  const built = newest(join(WEB_DIST, 'index.html'));
  const sources = Math.max(
    ...['src', 'public', 'index.html', 'vite.config.ts'].map((p) => newest(join(web, p))),
  );
  return built > sources;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function ensureConsoleBuilt(): void {
  if (fresh()) return;
  // One builder at a time; a lock left by a process that died is taken over after two minutes.
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() - (existsSync(LOCK) ? statSync(LOCK).mtimeMs : 0) > 120_000)
        rmSync(LOCK, { recursive: true, force: true });
      else sleep(200);
    }
  }
  try {
    if (fresh()) return;
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--config',
        'web/vite.config.ts',
      ],
      // Under vitest NODE_ENV is `test`, which would give React's development build.
      { cwd: ROOT, stdio: 'pipe', env: { ...process.env, NODE_ENV: 'production' } },
    );
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
