/** Keeps docs/errors.md and the error code list in src/core in step, in both directions. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/core/index.ts';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/^### `([A-Z0-9_]+)`$/gm)].map((m) => m[1]);

describe('docs/errors.md', () => {
  it('documents every error code', () => {
    expect(ERROR_CODES.filter((c) => !documented.includes(c))).toEqual([]);
  });
  it('documents no code that does not exist', () => {
    expect(documented.filter((c) => !(ERROR_CODES as readonly string[]).includes(c ?? ''))).toEqual(
      [],
    );
  });
});
