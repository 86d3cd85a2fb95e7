/**
 * Archives: zip entries (fflate) listed without inflating them and inflated one at a time, and gzip
 * (zlib, which reads files of several members and reports truncation).
 */
import { constants, gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';

/** Output beyond this (1 GiB) is refused: a decompression bomb must not take the machine down. */
export const MAX_INFLATED = 1 << 30;

export interface ZipEntry {
  readonly name: string;
  /** Uncompressed size in bytes. */
  readonly size: number;
}

/** The file entries of a zip (directories left out), in archive order. Throws on a damaged archive. */
export function zipEntries(zip: Uint8Array): ZipEntry[] {
  const entries: ZipEntry[] = [];
  unzipSync(zip, {
    filter: (f) => {
      if (!f.name.endsWith('/')) entries.push({ name: f.name, size: f.originalSize });
      return false;
    },
  });
  return entries;
}

/** One entry's bytes. Throws when the archive is damaged or the entry is missing. */
export function zipEntry(zip: Uint8Array, name: string): Uint8Array {
  let size = 0;
  const out = unzipSync(zip, {
    filter: (f) => {
      if (f.name !== name) return false;
      size = f.originalSize;
      return size <= MAX_INFLATED;
    },
  });
  if (size > MAX_INFLATED)
    throw new Error(`entry ${name} inflates to ${String(size)} bytes, over 1 GiB`);
  const data = out[name];
  if (data === undefined) throw new Error(`no entry ${name}`);
  return data;
}

/**
 * Decompresses gzip data, all members of it (`cat a.gz b.gz`). Damaged or truncated data gives
 * what could be recovered before the damage and the reason.
 */
export function gunzip(bytes: Uint8Array): { data: Uint8Array; error?: string } {
  try {
    return { data: gunzipSync(bytes, { maxOutputLength: MAX_INFLATED }) };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    try {
      const data = gunzipSync(bytes, {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: MAX_INFLATED,
      });
      return { data, error };
    } catch {
      return { data: new Uint8Array(0), error };
    }
  }
}
