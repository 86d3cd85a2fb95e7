/** EvtxPool gives, file by file, exactly what parseEvtx gives on the calling thread. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReadBatch } from '../../core/index.ts';
import { EvtxPool, parseEvtx } from './index.ts';

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
});
