import { describe, expect, it } from 'vitest';
import { MODIFIERS, parseSigmaString } from './modifiers.ts';
import { issueLines, load, matcher, ruleText } from './test-helpers.ts';

describe('value modifiers', () => {
  it('registers every Sigma 2.1 modifier by name', () => {
    const names = [
      'contains',
      'startswith',
      'endswith',
      'all',
      'exists',
      'cased',
      'neq',
      'windash',
      're',
      'i',
      'm',
      's',
      'base64',
      'base64offset',
      'utf16le',
      'utf16be',
      'utf16',
      'wide',
      'lt',
      'lte',
      'gt',
      'gte',
      'minute',
      'hour',
      'day',
      'week',
      'month',
      'year',
      'cidr',
      'expand',
      'fieldref',
    ];
    for (const n of names) expect(MODIFIERS[n], n).toBeDefined();
  });

  it('contains / startswith / endswith, case-insensitively', () => {
    const m = matcher(`  sel:
    CommandLine|contains: 'Invoke-Mimikatz'
    Image|endswith: '\\powershell.exe'
    ParentImage|startswith: 'C:\\Windows\\'
  condition: sel`);
    const ok = {
      CommandLine: 'x INVOKE-MIMIKATZ y',
      Image: 'C:\\X\\PowerShell.EXE',
      ParentImage: 'c:\\windows\\explorer.exe',
    };
    expect(m(ok)).toBe(true);
    expect(m({ ...ok, CommandLine: 'Invoke-Mimi' })).toBe(false);
    expect(m({ ...ok, Image: 'C:\\powershell.exe.bak' })).toBe(false);
    expect(m({ ...ok, ParentImage: 'D:\\C:\\Windows\\' })).toBe(false);
  });

  it('all: every value must match; without it any value does', () => {
    const all = matcher(`  sel:
    CommandLine|contains|all: ['-nop', '-w hidden']
  condition: sel`);
    expect(all({ CommandLine: 'powershell -nop -w hidden' })).toBe(true);
    expect(all({ CommandLine: 'powershell -nop' })).toBe(false);
    const any = matcher(`  sel:
    CommandLine|contains: ['-nop', '-w hidden']
  condition: sel`);
    expect(any({ CommandLine: 'powershell -nop' })).toBe(true);
  });

  it('cased makes comparison case-sensitive', () => {
    const m = matcher(`  sel:
    CommandLine|cased|contains: 'AbC'
  condition: sel`);
    expect(m({ CommandLine: 'xAbCx' })).toBe(true);
    expect(m({ CommandLine: 'xabcx' })).toBe(false);
  });

  it('exists: true needs the field (even null), false needs it absent', () => {
    const yes = matcher(`  sel:
    User|exists: true
  condition: sel`);
    expect(yes({ User: 'x' })).toBe(true);
    expect(yes({ User: null })).toBe(true);
    expect(yes({ Other: 'x' })).toBe(false);
    const no = matcher(`  sel:
    User|exists: false
  condition: sel`);
    expect(no({ Other: 'x' })).toBe(true);
    expect(no({ User: '' })).toBe(false);
  });

  it('neq: the field differs from every value (an absent field differs too)', () => {
    const m = matcher(`  sel:
    EventID: 1
    User|neq: ['SYSTEM', 'LOCAL SERVICE']
  condition: sel`);
    expect(m({ EventID: 1, User: 'alice' })).toBe(true);
    expect(m({ EventID: 1, User: 'system' })).toBe(false);
    expect(m({ EventID: 1, User: 'Local Service' })).toBe(false);
    expect(m({ EventID: 1 })).toBe(true);
  });

  it('windash: - and / and the three dashes are interchangeable before a word', () => {
    const m = matcher(`  sel:
    CommandLine|windash|contains: ' -enc '
  condition: sel`);
    for (const d of ['-', '/', '\u2013', '\u2014', '\u2015']) {
      expect(m({ CommandLine: `powershell ${d}enc AAA` }), d).toBe(true);
    }
    expect(m({ CommandLine: 'powershell +enc AAA' })).toBe(false);
  });

  it('windash only varies a dash preceded by a non-word character', () => {
    const m = matcher(`  sel:
    CommandLine|windash: 'a-b -c'
  condition: sel`);
    expect(m({ CommandLine: 'a-b /c' })).toBe(true);
    expect(m({ CommandLine: 'a/b -c' })).toBe(false);
  });

  it('re with i, m and s sub-modifiers; case-sensitive by default', () => {
    const m = matcher(`  sel:
    CommandLine|re: 'ab+c'
  condition: sel`);
    expect(m({ CommandLine: 'xxabbbc' })).toBe(true);
    expect(m({ CommandLine: 'xxABBC' })).toBe(false);
    const i = matcher(`  sel:
    CommandLine|re|i: '^ab+c$'
  condition: sel`);
    expect(i({ CommandLine: 'ABBC' })).toBe(true);
    const ml = matcher(`  sel:
    CommandLine|re|m: '^second$'
  condition: sel`);
    expect(ml({ CommandLine: 'first\nsecond\nthird' })).toBe(true);
    const s = matcher(`  sel:
    CommandLine|re|s: 'a.b'
  condition: sel`);
    expect(s({ CommandLine: 'a\nb' })).toBe(true);
    const nos = matcher(`  sel:
    CommandLine|re: 'a.b'
  condition: sel`);
    expect(nos({ CommandLine: 'a\nb' })).toBe(false);
  });

  it('re with startswith / endswith anchors the search', () => {
    const sw = matcher(`  sel:
    CommandLine|re|startswith: 'ab'
  condition: sel`);
    expect(sw({ CommandLine: 'abz' })).toBe(true);
    expect(sw({ CommandLine: 'zab' })).toBe(false);
  });

  it('base64 and base64offset', () => {
    const b = matcher(`  sel:
    CommandLine|base64|contains: 'http://'
  condition: sel`);
    expect(b({ CommandLine: 'x aHR0cDovLw== y' })).toBe(true);
    const off = matcher(`  sel:
    CommandLine|base64offset|contains: 'http://'
  condition: sel`);
    for (const prefix of ['', 'a', 'ab']) {
      const enc = btoa(prefix + 'http://example.org');
      expect(off({ CommandLine: `powershell -enc ${enc}` }), prefix).toBe(true);
    }
    expect(off({ CommandLine: btoa('ftp://example.org') })).toBe(false);
  });

  it('utf16le / wide / utf16be / utf16 before base64', () => {
    const le = matcher(`  sel:
    CommandLine|wide|base64offset|contains: 'ping'
  condition: sel`);
    const utf16le = (s: string) => s.replace(/./g, (c) => c + '\0');
    expect(le({ CommandLine: btoa(utf16le('cmd /c ping x')) })).toBe(true);
    const be = load(
      ruleText(`  sel:
    CommandLine|utf16be|base64: 'ab'
  condition: sel`),
    );
    expect(JSON.stringify(be.rules[0]?.routes[0]?.cond)).toContain(btoa('\0a\0b').toLowerCase());
    const bom = load(
      ruleText(`  sel:
    CommandLine|utf16|base64: 'ab'
  condition: sel`),
    );
    expect(JSON.stringify(bom.rules[0]?.routes[0]?.cond)).toContain(
      btoa('\xff\xfea\0b\0').toLowerCase(),
    );
  });

  it('lt, lte, gt, gte on numbers and numeric strings', () => {
    const m = matcher(`  sel:
    Size|gt: 100
    Size|lte: 200
  condition: sel`);
    expect(m({ Size: 150 })).toBe(true);
    expect(m({ Size: '200' })).toBe(true);
    expect(m({ Size: 100 })).toBe(false);
    expect(m({ Size: 'big' })).toBe(false);
    const lt = matcher(`  sel:
    Size|lt: 5
  condition: sel`);
    const gte = matcher(`  sel:
    Size|gte: 5
  condition: sel`);
    expect(lt({ Size: 4 })).toBe(true);
    expect(lt({ Size: 5 })).toBe(false);
    expect(gte({ Size: 5 })).toBe(true);
  });

  it('minute, hour, day, week, month, year of a timestamp value', () => {
    const m = matcher(`  sel:
    UtcTime|hour: 7
    UtcTime|minute: 40
    UtcTime|day: 27
    UtcTime|month: 11
    UtcTime|year: 2025
    UtcTime|week: 48
  condition: sel`);
    expect(m({ UtcTime: '2025-11-27 07:40:10.132' })).toBe(true);
    expect(m({ UtcTime: '2025-11-27T08:40:10Z' })).toBe(false);
    const epoch = matcher(`  sel:
    T|year: 2023
  condition: sel`);
    expect(epoch({ T: 1_700_000_000_000 })).toBe(true);
  });

  it('cidr for IPv4 and IPv6', () => {
    const m = matcher(`  sel:
    DestinationIp|cidr: ['10.0.0.0/8', '192.168.1.0/24', 'fe80::/10', '2001:db8::1/128']
  condition: sel`);
    expect(m({ DestinationIp: '10.200.3.4' })).toBe(true);
    expect(m({ DestinationIp: '192.168.1.255' })).toBe(true);
    expect(m({ DestinationIp: '192.168.2.1' })).toBe(false);
    expect(m({ DestinationIp: 'FE80::1234' })).toBe(true);
    expect(m({ DestinationIp: '2001:db8:0:0:0:0:0:1' })).toBe(true);
    expect(m({ DestinationIp: '2001:db8::2' })).toBe(false);
    expect(m({ DestinationIp: 'not an ip' })).toBe(false);
  });

  it('expand replaces %placeholders% with the configured values', () => {
    const m = matcher(
      `  sel:
    User|expand: '%Administrators%'
  condition: sel`,
      { placeholders: { Administrators: ['adm_*', 'root'] } },
    );
    expect(m({ User: 'ADM_bob' })).toBe(true);
    expect(m({ User: 'root' })).toBe(true);
    expect(m({ User: 'bob' })).toBe(false);
  });

  it('an unknown placeholder is a located SIGMA_PLACEHOLDER issue; `\\%` stays literal', () => {
    const r = load(
      ruleText(`  sel:
    User|expand: '%nope%'
  condition: sel`),
    );
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "rule.yml:10:5 error SIGMA_PLACEHOLDER modifier 'expand': unknown placeholder '%nope%'",
      ]
    `);
    const lit = matcher(
      `  sel:
    User|expand: '\\%x%a%'
  condition: sel`,
      { placeholders: { a: ['1'] } },
    );
    expect(lit({ User: '%x1' })).toBe(true);
  });

  it('expand inside a regex inserts the values as escaped alternatives', () => {
    const m = matcher(
      `  sel:
    Host|re|expand: '^%servers%$'
  condition: sel`,
      { placeholders: { servers: ['db.local', 'web(1)'] } },
    );
    expect(m({ Host: 'db.local' })).toBe(true);
    expect(m({ Host: 'web(1)' })).toBe(true);
    expect(m({ Host: 'dbxlocal' })).toBe(false);
  });

  it('fieldref compares with another field of the same event; with startswith/endswith/contains', () => {
    const eq = matcher(`  sel:
    ParentUser|fieldref: User
  condition: sel`);
    expect(eq({ User: 'Bob', ParentUser: 'bob' })).toBe(true);
    expect(eq({ User: 'Bob', ParentUser: 'alice' })).toBe(false);
    expect(eq({ ParentUser: 'bob' })).toBe(false);
    const sw = matcher(`  sel:
    CommandLine|fieldref|startswith: Image
  condition: sel`);
    expect(sw({ Image: 'c:\\a.exe', CommandLine: 'C:\\a.exe -x' })).toBe(true);
    const ew = matcher(`  sel:
    Image|fieldref|endswith: Name
  condition: sel`);
    expect(ew({ Image: 'c:\\a.exe', Name: 'a.exe' })).toBe(true);
    const ct = matcher(`  sel:
    CommandLine|fieldref|contains: Name
  condition: sel`);
    expect(ct({ CommandLine: 'run a.exe now', Name: 'a.exe' })).toBe(true);
    const ne = matcher(`  sel:
    ParentUser|fieldref|neq: User
  condition: sel`);
    expect(ne({ User: 'a', ParentUser: 'b' })).toBe(true);
    expect(ne({ User: 'a', ParentUser: 'A' })).toBe(false);
  });

  it('reports invalid combinations at the key', () => {
    const r = load(
      ruleText(`  sel:
    A|gt: 'abc'
    B|base64: 'a*b'
    C|exists: 'yes'
    D|contains|re: 'x'
    E|nosuch: 1
    F|cidr: '300.1.1.1/8'
    G|i: 'x'
  condition: sel`),
    );
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "rule.yml:10:5 error SIGMA_MODIFIER modifier 'gt': does not apply to a string value",
        "rule.yml:11:5 error SIGMA_MODIFIER modifier 'base64': base64 of a value with wildcards or placeholders",
        "rule.yml:12:5 error SIGMA_MODIFIER modifier 'exists': does not apply to a string value",
        "rule.yml:13:5 error SIGMA_MODIFIER modifier 're': 're' must come before other value modifiers",
        "rule.yml:14:5 error SIGMA_MODIFIER unknown modifier 'nosuch'",
        "rule.yml:15:5 error SIGMA_MODIFIER modifier 'cidr': '300.1.1.1/8' is not a CIDR network",
        "rule.yml:16:5 error SIGMA_MODIFIER modifier 'i': does not apply to a string value",
      ]
    `);
    expect(r.rules).toHaveLength(0);
  });
});

describe('wildcards and escapes', () => {
  it('parses escapes as the specification says', () => {
    const text = (s: string) =>
      parseSigmaString(s)
        .parts.map((p) => (typeof p === 'string' ? p : 'w' in p ? `<${p.w}>` : `%${p.ph}%`))
        .join('');
    expect(text('a*b?c')).toBe('a<*>b<?>c');
    expect(text('a\\*b\\?c')).toBe('a*b?c');
    expect(text('C:\\Windows\\')).toBe('C:\\Windows\\');
    expect(text('a\\\\*')).toBe('a\\<*>');
    expect(text('a\\\\\\*')).toBe('a\\*');
    expect(text('a\\\\\\\\b')).toBe('a\\\\b');
  });

  it('* and ? match; escaped ones are literal', () => {
    const m = matcher(`  sel:
    A: 'ab?d*z'
    B: 'x\\*y\\?'
  condition: sel`);
    expect(m({ A: 'abcdWHATEVERz', B: 'x*y?' })).toBe(true);
    expect(m({ A: 'abdz', B: 'x*y?' })).toBe(false);
    expect(m({ A: 'abcdz', B: 'xAy?' })).toBe(false);
  });

  it('a plain backslash needs no escaping; a double backslash before a wildcard is one backslash', () => {
    const m = matcher(`  sel:
    Image: 'C:\\Windows\\System32\\cmd.exe'
    Path: 'C:\\Temp\\\\*'
  condition: sel`);
    expect(m({ Image: 'c:\\windows\\system32\\cmd.exe', Path: 'C:\\Temp\\anything' })).toBe(true);
  });

  it('a glob with inner stars runs in linear time', () => {
    const m = matcher(`  sel:
    A: '*a*a*a*a*a*a*a*a*b'
  condition: sel`);
    const t0 = performance.now();
    expect(m({ A: 'a'.repeat(100_000) })).toBe(false);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe('parseSigmaString', () => {
  /** The escape rules, a character at a time, as the specification words them. */
  function reference(s: string): readonly unknown[] {
    const parts: unknown[] = [];
    let acc = '';
    let escaped = false;
    for (const c of s) {
      if (escaped) {
        acc += c === '*' || c === '?' || c === '\\' ? c : '\\' + c;
        escaped = false;
      } else if (c === '\\') escaped = true;
      else if (c === '*' || c === '?') {
        if (acc) parts.push(acc);
        acc = '';
        parts.push({ w: c });
      } else acc += c;
    }
    if (escaped) acc += '\\';
    if (acc) parts.push(acc);
    return parts;
  }

  it('reads wildcards and escapes exactly as the specification, on random strings', () => {
    const alphabet = ['a', 'B', '*', '?', '\\', ' ', '\u00e9', '\ud83d\ude00', '%'];
    let seed = 11;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 2000; n++) {
      const s = Array.from(
        { length: Math.floor(next() * 12) },
        () => alphabet[Math.floor(next() * alphabet.length)],
      ).join('');
      expect(parseSigmaString(s).parts, JSON.stringify(s)).toEqual(reference(s));
    }
    // In a rule, `\*` is an asterisk; `\\*` is a backslash, then a wildcard.
    expect(parseSigmaString('C:\\Windows\\*.exe').parts).toEqual(['C:\\Windows*.exe']);
    expect(parseSigmaString('C:\\Windows\\\\*.exe').parts).toEqual([
      'C:\\Windows\\',
      { w: '*' },
      '.exe',
    ]);
    expect(parseSigmaString('a\\').parts).toEqual(['a\\']);
  });
});
