/** What a reader is told about the input it reads. */
export interface ReadContext {
  /** The input's display path (inside a zip: `archive.zip!inner/path`). */
  readonly file: string;
  readonly tenant: string;
  /**
   * Time the input was last written, ms since the epoch (file mtime); syslog lines without a
   * year get the latest year that does not put them after this time. Defaults to now.
   */
  readonly referenceTime?: number;
}
