/** Zip archives read in place with fflate: list entries without inflating them, inflate one entry at a time. */
import { unzipSync } from 'fflate';

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
  const out = unzipSync(zip, { filter: (f) => f.name === name });
  const data = out[name];
  if (data === undefined) throw new Error(`no entry ${name}`);
  return data;
}
