import { describe, expect, it } from 'vitest';
import type { InputFormat } from './index.ts';
import { readBytes } from './index.ts';

const enc = new TextEncoder();

/** Lines built to make a backtracking parser slow; each must be read in well under the test timeout. */
const HOSTILE: readonly (readonly [string, string, Exclude<InputFormat, 'auto'>])[] = [
  [
    'auditd: type= repeated',
    `type=SYSCALL msg=audit(1.0:1): a=1\n${'type='.repeat(200_000)}\n`,
    'auditd',
  ],
  [
    'auditd: node= repeated',
    `type=SYSCALL msg=audit(1.0:1): a=1\n${' node=aaaa'.repeat(100_000)}\n`,
    'auditd',
  ],
  ['syslog: brackets', `Jul  1 00:00:00 h ${'['.repeat(500_000)}\n`, 'syslog'],
  ['syslog: RFC 5424 lookalike', `<1>1 ${'a '.repeat(300_000)}\n`, 'syslog'],
  ['json: unclosed braces', `${'{'.repeat(500_000)}\n{"a":1}\n`, 'json'],
  ['json: escaped quotes', `{"${'\\"'.repeat(300_000)}\n{"a":1}\n`, 'json'],
  [
    'zeek: huge set',
    `#separator \\x09\n#fields\ta\n#types\tset[string]\n${','.repeat(900_000)}\n`,
    'zeek',
  ],
];

describe('readBytes on hostile input', () => {
  for (const [name, text, format] of HOSTILE) {
    it(`reads ${name} in linear time and keeps going`, { timeout: 5_000 }, () => {
      const batches = [...readBytes(enc.encode(text), 'hostile', { tenant: 't', format })];
      const events = batches.flatMap((b) => b.events);
      expect(events.length).toBeGreaterThanOrEqual(1);
      expect(batches.flatMap((b) => b.issues).every((i) => i.code !== 'INTERNAL')).toBe(true);
    });
  }

  it('recovers the record after a broken one in each JSON case', () => {
    for (const [, text, format] of HOSTILE.filter(([, , f]) => f === 'json')) {
      const events = [...readBytes(enc.encode(text), 'h', { tenant: 't', format })].flatMap(
        (b) => b.events,
      );
      expect(events.map((e) => e.fields['a'])).toEqual([1]);
    }
  });
});
