/**
 * Whether a text holds any of a few literals, case-insensitively, reading about one character in
 * `shortest - 1` instead of every one. A keyword rule (Mimikatz's twenty keywords, on every Windows
 * event) searches every value of every event, so this is where a scan spends most of its keyword time.
 *
 * The method is Wu and Manber's: a window as long as the shortest literal slides along the text; the
 * last two characters of the window (hashed) say how far it may move without passing the start of a
 * literal, and only when that is 0 are the literals ending their first `shortest` characters with that
 * pair compared there. Characters are lowercased one UTF-16 unit at a time, as `LiteralScanner` does.
 */

/** Literals shorter than this gain little from skipping: `LiteralScanner` serves them. */
const MIN_LENGTH = 4;
const MAX_WORDS = 256;
const HASH_BITS = 12;
const HASH_MASK = (1 << HASH_BITS) - 1;

/** ASCII lowercase, by code. */
const ASCII_LOWER = Uint16Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));

const foldCache = new Map<number, number>();

/** The unit `c` lowercased on its own (a unit whose lowercase is not one unit stays as it is). */
function fold(c: number): number {
  if (c < 128) return ASCII_LOWER[c] ?? c;
  let l = foldCache.get(c);
  if (l === undefined) {
    const s = String.fromCharCode(c).toLowerCase();
    l = s.length === 1 ? s.charCodeAt(0) : c;
    if (foldCache.size < 4096) foldCache.set(c, l);
  }
  return l;
}

function pair(a: number, b: number): number {
  return (a * 31 + b) & HASH_MASK;
}

export class SkipSearch {
  private constructor(
    /** The shortest literal's length: the window. */
    private readonly window: number,
    /** Per hashed pair: how far the window may move when it ends with that pair. */
    private readonly shift: Uint8Array,
    /** Per hashed pair with shift 0: the literals whose first `window` characters end with it. */
    private readonly ending: readonly (readonly string[] | undefined)[],
  ) {}

  /**
   * A search for `words` (already lowercased), or undefined when skipping would not pay: a literal
   * under MIN_LENGTH characters, one that is not ASCII, or too many of them.
   */
  static build(words: readonly string[]): SkipSearch | undefined {
    if (words.length === 0 || words.length > MAX_WORDS) return undefined;
    let window = Infinity;
    for (const w of words) {
      if (w.length < MIN_LENGTH || /[^\x00-\x7f]/.test(w) || w !== w.toLowerCase())
        return undefined;
      window = Math.min(window, w.length);
    }
    // Shifts fit a byte.
    window = Math.min(window, 255);
    const shift = new Uint8Array(1 << HASH_BITS).fill(window - 1);
    const ending: (string[] | undefined)[] = new Array<string[] | undefined>(1 << HASH_BITS);
    for (const w of words) {
      for (let j = 1; j < window; j++) {
        const h = pair(w.charCodeAt(j - 1), w.charCodeAt(j));
        const s = window - 1 - j;
        if (s < (shift[h] ?? 0)) shift[h] = s;
      }
      const h = pair(w.charCodeAt(window - 2), w.charCodeAt(window - 1));
      (ending[h] ??= []).push(w);
    }
    return new SkipSearch(window, shift, ending);
  }

  /** Whether `text` holds one of the literals (case-insensitively). */
  test(text: string): boolean {
    const { window, shift, ending } = this;
    const n = text.length;
    let end = window - 1;
    while (end < n) {
      const h = pair(fold(text.charCodeAt(end - 1)), fold(text.charCodeAt(end)));
      const s = shift[h] ?? 0;
      if (s > 0) {
        end += s;
        continue;
      }
      const start = end - window + 1;
      const list = ending[h];
      if (list !== undefined) for (const w of list) if (matchesAt(text, start, w)) return true;
      end++;
    }
    return false;
  }
}

function matchesAt(text: string, start: number, w: string): boolean {
  if (start + w.length > text.length) return false;
  for (let k = 0; k < w.length; k++) {
    if (fold(text.charCodeAt(start + k)) !== w.charCodeAt(k)) return false;
  }
  return true;
}
