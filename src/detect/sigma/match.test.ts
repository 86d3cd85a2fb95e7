import { describe, expect, it } from 'vitest';
import type { LogSource } from '../../core/index.ts';
import { loadRules } from './load.ts';
import { RuleSet } from './match.ts';
import type { LogsourceMap, SourceRoute } from './source.ts';
import { event, issueLines, load, matcher, ruleText } from './test-helpers.ts';

/** A tiny routing fixture: process_creation on Sysmon 1 and on Security 4688 (with renamed fields). */
const fixtureMap: LogsourceMap = {
  routes(ls: LogSource): readonly SourceRoute[] | undefined {
    if (ls.product === 'windows' && ls.category === 'process_creation') {
      return [
        {
          name: 'windows/process_creation/sysmon',
          where: { Channel: ['Microsoft-Windows-Sysmon/Operational'], EventID: [1] },
          fieldMap: {},
        },
        {
          name: 'windows/process_creation/security-4688',
          where: { Channel: ['Security'], EventID: [4688] },
          fieldMap: { Image: 'NewProcessName' },
        },
      ];
    }
    if (ls.product === 'linux' && ls.service === 'auth') {
      return [
        {
          name: 'linux/auth',
          source: { product: 'linux', service: 'auth' },
          where: {},
          fieldMap: {},
        },
      ];
    }
    return undefined;
  },
};

describe('matching semantics', () => {
  it('maps AND their fields, lists of maps OR them', () => {
    const m = matcher(`  sel:
    - A: 1
      B: 2
    - C: 3
  condition: sel`);
    expect(m({ A: 1, B: 2 })).toBe(true);
    expect(m({ A: 1 })).toBe(false);
    expect(m({ C: 3 })).toBe(true);
  });

  it('compares strings case-insensitively and numbers with numeric or string values', () => {
    const m = matcher(`  sel:
    EventID: 4688
    User: 'NT AUTHORITY\\SYSTEM'
  condition: sel`);
    expect(m({ EventID: 4688, User: 'nt authority\\system' })).toBe(true);
    expect(m({ EventID: '4688', User: 'NT AUTHORITY\\SYSTEM' })).toBe(true);
    expect(m({ EventID: 4689, User: 'NT AUTHORITY\\SYSTEM' })).toBe(false);
    const s = matcher(`  sel:
    Port: '443'
  condition: sel`);
    expect(s({ Port: 443 })).toBe(true);
  });

  it('matches booleans with boolean or text values', () => {
    const m = matcher(`  sel:
    Signed: false
  condition: sel`);
    expect(m({ Signed: false })).toBe(true);
    expect(m({ Signed: 'False' })).toBe(true);
    expect(m({ Signed: 'true' })).toBe(false);
  });

  it('matches a list-valued field when any element matches', () => {
    const m = matcher(`  sel:
    Tags|contains: 'evil'
  condition: sel`);
    expect(m({ Tags: ['good', 'very EVIL'] })).toBe(true);
    expect(m({ Tags: ['good', null] })).toBe(false);
  });

  it('an absent field does not match, except null and exists: false', () => {
    const m = matcher(`  sel:
    A|contains: ''
  condition: sel`);
    expect(m({ A: 'x' })).toBe(true);
    expect(m({ B: 'x' })).toBe(false);
    const n = matcher(`  sel:
    A: null
  condition: sel`);
    expect(n({ B: 'x' })).toBe(true);
    expect(n({ A: null })).toBe(true);
    expect(n({ A: '' })).toBe(false);
    const empty = matcher(`  sel:
    A: ''
  condition: sel`);
    expect(empty({ A: '' })).toBe(true);
    expect(empty({})).toBe(false);
    const notnull = matcher(`  sel:
    E: 1
  f:
    A: null
  condition: sel and not f`);
    expect(notnull({ E: 1, A: 'x' })).toBe(true);
    expect(notnull({ E: 1 })).toBe(false);
  });

  it('keywords search every string value of the event; |all needs each keyword somewhere', () => {
    const m = matcher(`  keywords:
    - 'event::clear'
    - 'sekurlsa*logon'
  condition: keywords`);
    expect(m({ A: 'x', B: 'mimikatz EVENT::CLEAR' })).toBe(true);
    expect(m({ B: ['a', 'sekurlsa::logonpasswords'] })).toBe(true);
    expect(m({ A: 'nothing', EventID: 1 })).toBe(false);
    const all = matcher(`  keywords:
    '|all':
      - 'OabVirtualDirectory'
      - ' -ExternalUrl '
  condition: keywords`);
    expect(all({ A: 'Set-OabVirtualDirectory', B: 'x -ExternalUrl y' })).toBe(true);
    expect(all({ A: 'Set-OabVirtualDirectory' })).toBe(false);
    const single = matcher(`  kw: 'needle'
  condition: kw`);
    expect(single({ A: 'haystack NEEDLE' })).toBe(true);
    // Numbers are not string values: keywords do not see them.
    const num = matcher(`  kw:
    - '4688'
  condition: kw`);
    expect(num({ EventID: 4688 })).toBe(false);
  });

  it('1 of / all of patterns and them (them skips _names)', () => {
    const m = matcher(`  sel_a:
    A: 1
  sel_b:
    B: 1
  _hidden:
    H: 1
  condition: all of sel_* and not 1 of filter*
  filter_x:
    F: 1`);
    expect(m({ A: 1, B: 1 })).toBe(true);
    expect(m({ A: 1 })).toBe(false);
    expect(m({ A: 1, B: 1, F: 1 })).toBe(false);
    const them = matcher(`  sel_a:
    A: 1
  _hidden:
    H: 1
  condition: all of them`);
    expect(them({ A: 1 })).toBe(true);
  });

  it('a list of conditions is an OR', () => {
    const m = matcher(`  a:
    A: 1
  b:
    B: 1
  condition:
    - a
    - b`);
    expect(m({ B: 1 })).toBe(true);
    expect(m({ C: 1 })).toBe(false);
  });

  it('regexes run on RE2: a catastrophic pattern on 100 KB returns in milliseconds', () => {
    const m = matcher(`  sel:
    CommandLine|re: '^(a+)+$'
  condition: sel`);
    const hostile = 'a'.repeat(100_000) + '!';
    const t0 = performance.now();
    expect(m({ CommandLine: hostile })).toBe(false);
    expect(m({ CommandLine: 'a'.repeat(100_000) })).toBe(true);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('refuses regexes RE2 cannot run, unless an exact rewrite exists', () => {
    const r = load(
      ruleText(`  sel:
    A|re: '(a)\\1'
  condition: sel`),
    );
    expect(r.unsupported).toEqual([
      {
        file: 'rule.yml',
        reason:
          'regex /(a)\\1/ cannot run on RE2 (invalid escape sequence: \\1) and has no exact rewrite',
      },
    ]);
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "rule.yml:10:5 error SIGMA_UNSUPPORTED regex /(a)\\1/ cannot run on RE2 (invalid escape sequence: \\1) and has no exact rewrite",
      ]
    `);
    const neg = load(
      ruleText(`  sel:
    A|re: 'a(?!b)'
  condition: sel`),
    );
    expect(neg.unsupported).toHaveLength(1);
    const look = matcher(`  sel:
    A|re: '(?<=x)ab(?=c)'
  condition: sel`);
    expect(look({ A: '__xabc__' })).toBe(true);
    expect(look({ A: '__abc__' })).toBe(false);
    const bigZ = matcher(`  sel:
    A|re: 'end\\Z'
  condition: sel`);
    expect(bigZ({ A: 'the end\n' })).toBe(true);
    expect(bigZ({ A: 'the end.' })).toBe(false);
  });

  it('counts long runs instead of running .{n,} on RE2', () => {
    const m = matcher(`  sel:
    CommandLine|re: '.{1000,}'
  condition: sel`);
    expect(m({ CommandLine: 'x'.repeat(1000) })).toBe(true);
    expect(m({ CommandLine: 'x'.repeat(999) })).toBe(false);
    expect(m({ CommandLine: 'x'.repeat(600) + '\n' + 'x'.repeat(600) })).toBe(false);
  });
});

describe('RuleSet', () => {
  const text = ruleText(`  sel:
    Image|endswith: '\\whoami.exe'
  condition: sel`);
  const loaded = loadRules([{ file: 'whoami.yml', text }], { logsources: fixtureMap });

  it('compiles each rule once per route with the route field names', () => {
    expect(loaded.rules[0]?.routes.map((r) => r.route.name)).toEqual([
      'windows/process_creation/sysmon',
      'windows/process_creation/security-4688',
    ]);
    expect(JSON.stringify(loaded.rules[0]?.routes[1]?.cond)).toContain('NewProcessName');
  });

  it('matches only events of a route, by Channel and EventID', () => {
    const set = new RuleSet(loaded.rules);
    const sysmon = {
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      EventID: 1,
      Image: 'C:\\W\\whoami.exe',
    };
    expect(set.match(event(sysmon))).toHaveLength(1);
    expect(set.match(event({ ...sysmon, EventID: 3 }))).toHaveLength(0);
    expect(set.match(event({ ...sysmon, Channel: 'Security' }))).toHaveLength(0);
    expect(
      set.match(event({ Channel: 'security', EventID: '4688', NewProcessName: 'c:\\whoami.exe' })),
    ).toHaveLength(1);
    expect(
      set.match(event({ Channel: 'Security', EventID: 4688, Image: 'c:\\whoami.exe' })),
    ).toHaveLength(0);
  });

  it('returns the Detection with the rule reference and the fields the true branches read', () => {
    const set = new RuleSet(loaded.rules);
    const ev = event({
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      EventID: 1,
      Image: 'C:\\whoami.exe',
      User: 'x',
    });
    const [d] = set.match(ev);
    expect(d).toMatchObject({
      kind: 'event',
      ts: ev.ts,
      events: [ev],
      matched: { Image: 'C:\\whoami.exe' },
      rule: {
        id: '11111111-2222-4333-8444-555555555555',
        title: 'Test rule',
        level: 'high',
        status: 'test',
        file: 'whoami.yml',
      },
    });
  });

  it('routes by the event source for non-Windows logsources, and warns about unknown ones', () => {
    const r = loadRules(
      [
        {
          file: 'ssh.yml',
          text: `title: SSH
logsource: { product: linux, service: auth }
detection:
  sel: { msg|contains: 'Failed password' }
  condition: sel
`,
        },
        {
          file: 'other.yml',
          text: `title: Other
logsource: { product: acme, service: fw }
detection:
  sel: { action: deny }
  condition: sel
`,
        },
      ],
      { logsources: fixtureMap },
    );
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "other.yml:1:1 warning SIGMA_LOGSOURCE logsource acme/fw is not in the logsource map; the rule only sees events whose source says so",
      ]
    `);
    const set = new RuleSet(r.rules);
    expect(
      set.match(event({ msg: 'Failed password for root' }, { product: 'linux', service: 'auth' })),
    ).toHaveLength(1);
    expect(
      set.match(event({ msg: 'Failed password for root' }, { product: 'linux', service: 'cron' })),
    ).toHaveLength(0);
    expect(set.match(event({ action: 'DENY' }, { product: 'acme', service: 'fw' }))).toHaveLength(
      1,
    );
  });

  it('applies meta filters as `and not` to the rules they name, within their logsource', () => {
    const filter = `title: Admins are fine
id: 99999999-9999-4999-8999-999999999999
logsource:
  product: windows
  category: process_creation
filter:
  rules:
    - 11111111-2222-4333-8444-555555555555
  selection:
    User|startswith: 'adm_'
  condition: selection
`;
    const r = loadRules(
      [
        { file: 'whoami.yml', text },
        { file: 'mf.yml', text: filter },
      ],
      { logsources: fixtureMap },
    );
    expect(issueLines(r)).toEqual([]);
    expect(r.filters[0]?.routes.size).toBe(2);
    const base = {
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      EventID: 1,
      Image: 'C:\\whoami.exe',
    };
    const filtered = new RuleSet(r.rules, r.filters);
    expect(filtered.match(event({ ...base, User: 'adm_bob' }))).toHaveLength(0);
    expect(filtered.match(event({ ...base, User: 'bob' }))).toHaveLength(1);
    expect(new RuleSet(r.rules).match(event({ ...base, User: 'adm_bob' }))).toHaveLength(1);
  });

  it('a filter for another logsource or another rule does not apply', () => {
    const filter = (ls: string, rules: string) => `title: F
logsource: { ${ls} }
filter:
  rules: ${rules}
  selection: { User: bob }
  condition: selection
`;
    const base = {
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      EventID: 1,
      Image: 'C:\\whoami.exe',
      User: 'bob',
    };
    for (const f of [
      filter('product: linux', 'any'),
      filter('product: windows', '[00000000-0000-4000-8000-000000000000]'),
    ]) {
      const r = loadRules(
        [
          { file: 'whoami.yml', text },
          { file: 'mf.yml', text: f },
        ],
        { logsources: fixtureMap },
      );
      expect(new RuleSet(r.rules, r.filters).match(event(base))).toHaveLength(1);
    }
    const any = loadRules(
      [
        { file: 'whoami.yml', text },
        { file: 'mf.yml', text: filter('product: windows', 'any') },
      ],
      { logsources: fixtureMap },
    );
    expect(new RuleSet(any.rules, any.filters).match(event(base))).toHaveLength(0);
  });

  it('reports each rule once per event and keeps prefiltered groups exact', () => {
    // Many rules in one route group so that the literal prefilter is used.
    const files = Array.from({ length: 30 }, (_, i) => ({
      file: `r${i}.yml`,
      text: `title: R${i}
id: 00000000-0000-4000-8000-${String(i).padStart(12, '0')}
logsource: { product: windows, category: process_creation }
detection:
  sel:
    CommandLine|contains: 'needle${i}x'
  re:
    CommandLine|re: 'p${i}q+r'
  condition: 1 of them
`,
    }));
    const r = loadRules(files, { logsources: fixtureMap });
    const set = new RuleSet(r.rules);
    const ev = (cl: string) =>
      event({ Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, CommandLine: cl });
    expect(
      set
        .match(ev('a NEEDLE7X b needle12x'))
        .map((d) => d.rule.title)
        .sort(),
    ).toEqual(['R12', 'R7']);
    expect(set.match(ev('p3qqqr')).map((d) => d.rule.title)).toEqual(['R3']);
    expect(set.match(ev('nothing here'))).toEqual([]);
  });

  it('takes the prefilters another rule set built (after a clone) and matches exactly as when it builds them', () => {
    const files = Array.from({ length: 30 }, (_, i) => ({
      file: `r${i}.yml`,
      text: `title: R${i}
id: 00000000-0000-4000-8000-${String(i).padStart(12, '0')}
logsource: { product: windows, category: process_creation }
detection:
  sel:
    CommandLine|contains: 'needle${i}x'
  img:
    Image|endswith: '\\tool${i % 7}.exe'
  user:
    User: 'ADMIN${i % 3}'
  condition: sel or (img and user)
`,
    }));
    const r = loadRules(files, { logsources: fixtureMap });
    const rows: [string, string, string][] = [
      ['a NEEDLE7X b needle12x', 'C:\\x\\tool1.exe', 'admin1'],
      ['quiet', 'C:\\TOOL3.EXE', 'admin0'],
      ['needle29x', 'C:\\y.exe', 'nobody'],
      ['nothing here', 'C:\\tool6.exe', 'ADMIN2'],
    ];
    const events = rows.flatMap(([cl, image, user]) => [
      event({
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        EventID: 1,
        CommandLine: cl,
        Image: image,
        User: user,
      }),
      event({
        Channel: 'Security',
        EventID: 4688,
        CommandLine: cl,
        NewProcessName: image,
        User: user,
      }),
    ]);
    const titles = (set: RuleSet) => events.map((e) => set.match(e).map((d) => d.rule.title));
    const own = new RuleSet(r.rules);
    const told: string[] = [];
    own.onPrefilterBuilt = (route, data) => {
      told.push(route);
      expect(data.size).toBeGreaterThan(0);
    };
    const expected = titles(own);
    expect(expected.flat().length).toBeGreaterThan(10);
    const built = own.builtPrefilters();
    // Each prefilter it built was announced once (a scan thread passes it on to the others).
    expect(told.sort()).toEqual([...built.keys()].sort());
    expect([...built.keys()].sort()).toEqual([
      'windows/process_creation/security-4688',
      'windows/process_creation/sysmon',
    ]);
    const taker = new RuleSet(r.rules);
    taker.usePrefilters(structuredClone(built));
    taker.onPrefilterBuilt = (route) => {
      throw new Error(`built ${route} although it was given`);
    };
    expect(titles(taker)).toEqual(expected);
    // It used the given data rather than building its own.
    for (const [route, data] of taker.builtPrefilters())
      expect(data).toBe(taker['knownPrefilters'].get(route));
    // Data of another rule set (another size) is not used.
    const small = new RuleSet(r.rules.slice(0, 10));
    small.usePrefilters(structuredClone(built));
    const alone = new RuleSet(r.rules.slice(0, 10));
    expect(titles(small)).toEqual(titles(alone));
    for (const [route, data] of small.builtPrefilters())
      expect(data).not.toBe(small['knownPrefilters'].get(route));
  });
});

describe('matched fields', () => {
  it('lists the fields whose keyword or value made the rule true', () => {
    const r = load(
      ruleText(`  kw:
    - 'mimikatz'
  sel:
    EventID: 1
  f:
    User: bob
  condition: kw and sel and not f`),
    );
    const set = new RuleSet(r.rules);
    const [d] = set.match(event({ EventID: 1, A: 'x', B: 'run MIMIKATZ', User: 'alice' }));
    expect(d?.matched).toEqual({ B: 'run MIMIKATZ', EventID: 1 });
  });
});

describe('value lists of regexes and networks', () => {
  it('an OR of regexes on one field matches when any does', () => {
    const m = matcher(`  sel:
    CommandLine|re:
      - 'ipconfig\\s+/all'
      - '(?i)ARP\\s+-a'
      - '^net\\s'
  condition: sel`);
    expect(m({ CommandLine: 'ipconfig  /all' })).toBe(true);
    expect(m({ CommandLine: 'x arp -a' })).toBe(true);
    expect(m({ CommandLine: 'net user' })).toBe(true);
    expect(m({ CommandLine: 'x net user' })).toBe(false);
    expect(m({ CommandLine: 'IPCONFIG /all' })).toBe(false);
  });

  it('an OR of networks parses the address once and checks each', () => {
    const m = matcher(`  sel:
    IpAddress|cidr: ['10.0.0.0/8', '::1/128']
    Other: x
  condition: sel`);
    expect(m({ IpAddress: '10.1.1.1', Other: 'X' })).toBe(true);
    expect(m({ IpAddress: '::1', Other: 'x' })).toBe(true);
    expect(m({ IpAddress: '11.1.1.1', Other: 'x' })).toBe(false);
  });
});
