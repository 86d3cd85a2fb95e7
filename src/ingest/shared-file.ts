/** Whole files read into shared memory, for worker threads to parse in place. */
import { open } from 'node:fs/promises';

/**
 * Reads a whole file straight into shared memory, which every worker then reads without a copy (and
 * with half the off-heap memory a Buffer and a copy of it would take).
 */
export async function readShared(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(new SharedArrayBuffer(size));
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(bytes, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } finally {
    await handle.close();
  }
}
