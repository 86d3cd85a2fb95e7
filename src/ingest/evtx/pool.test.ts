/** EvtxPool gives, file by file, exactly what parseEvtx gives on the calling thread. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReadBatch } from '../../core/index.ts';
import { EvtxPool, evtxChunks, parseEvtx } from './index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SAMPLES = path.resolve(repoRoot, '../shared/data/evtx/omerbenamram-evtx-samples/samples');
const FILES = [
  'security.evtx',
  'sysmon.evtx',
  'sample_with_a_bad_chunk_magic.evtx',
  'Application_no_crc32.evtx',
].map((f) => path.join(SAMPLES, f));

async function collect(it: AsyncIterable<ReadBatch>): Promise<ReadBatch[]> {
  const out: ReadBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('EvtxPool', () => {
  const pool = new EvtxPool({ threads: 2 });
  afterAll(async () => {
    await pool.close();
  });

  it('reads several files at once, each in chunk order, equal to parseEvtx', async () => {
    const results = await Promise.all(FILES.map((f) => collect(pool.parseFile(f, 'acme'))));
    for (let i = 0; i < FILES.length; i++) {
      const file = FILES[i]!;
      const direct = [...parseEvtx(readFileSync(file), file, { tenant: 'acme' })];
      expect(results[i]).toHaveLength(direct.length);
      expect(results[i]).toEqual(direct);
    }
  });

  it('reports an unreadable file as an issue', async () => {
    const batches = await collect(pool.parseFile(path.join(SAMPLES, 'no-such-file.evtx')));
    expect(batches).toHaveLength(1);
    expect(batches[0]?.issues[0]).toMatchObject({ code: 'READ_IO', severity: 'error' });
  });

  it('stops cleanly when the reader stops early', async () => {
    let seen = 0;
    for await (const b of pool.parseFile(FILES[0]!)) {
      seen += b.events.length;
      break;
    }
    expect(seen).toBeGreaterThan(0);
    const again = await collect(pool.parseFile(FILES[3]!));
    expect(again.flatMap((b) => b.events)).toHaveLength(17);
  });

  it('a file being read when the pool closes still ends, with located issues', async () => {
    const own = new EvtxPool({ threads: 1 });
    const batches: ReadBatch[] = [];
    for await (const b of own.parseFile(FILES[0]!)) {
      if (batches.length === 0) await own.close();
      batches.push(b);
    }
    const chunks = evtxChunks(readFileSync(FILES[0]!), FILES[0]!).chunkOffsets.length;
    expect(batches).toHaveLength(chunks);
    const closed = batches.flatMap((b) => b.issues).filter((i) => i.code === 'INTERNAL');
    expect(closed.length).toBeGreaterThan(0);
    for (const i of closed) expect(i.at?.chunk).toBeGreaterThan(0);
  });

  it('close() settles, so a script carries on after it (plain node --import tsx)', () => {
    // Closing while a worker was still posting its last reply once left close() pending and
    // ended the process early with exit code 13.
    const script = `
      import { EvtxPool } from ${JSON.stringify(path.join(repoRoot, 'src/ingest/evtx/index.ts'))};
      const file = ${JSON.stringify(FILES[0])};
      for (let k = 0; k < 3; k++) {
        const pool = new EvtxPool({ threads: 2 });
        let n = 0;
        await Promise.all([file, file].map(async (f) => { for await (const b of pool.parseFile(f)) n += b.events.length; }));
        await pool.close();
        console.log('closed', n);
      }
      console.log('after');
    `;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('closed 4522\n'.repeat(3) + 'after\n');
    expect(run.status).toBe(0);
  });
});
