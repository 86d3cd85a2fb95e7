import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Event, Issue } from '../core/index.ts';
import { readAuditd } from './auditd.ts';

const otrf = fileURLToPath(
  new URL(
    '../../../shared/data/datasets/Security-Datasets/datasets/atomic/linux/',
    import.meta.url,
  ),
);

function read(text: string | Uint8Array): { events: Event[]; issues: Issue[] } {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const batches = [...readAuditd(bytes, { file: 'audit.log', tenant: 'acme' })];
  return { events: batches.flatMap((b) => b.events), issues: batches.flatMap((b) => b.issues) };
}

function entry(zip: string): Uint8Array {
  return Object.values(unzipSync(readFileSync(`${otrf}${zip}`)))[0] ?? new Uint8Array();
}

describe('auditd reader', () => {
  it('joins the records of one serial from the OTRF dd sample into one event', () => {
    const { events, issues } = read(entry('defense_evasion/host/sh_binary_padding_dd.zip'));
    expect(issues).toEqual([]);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e?.source).toEqual({ product: 'linux', service: 'auditd' });
    expect(e?.ts).toBe(1604996384965);
    expect(e?.origin).toEqual({ file: 'audit.log', format: 'auditd', recordId: 1, offset: 0 });
    expect(e?.fields).toMatchObject({
      type: ['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PROCTITLE'],
      SYSCALL: 'execve',
      syscall: '59',
      exe: '/bin/dd',
      comm: 'dd',
      argc: '4',
      cwd: '/home/wardog',
      name: ['/bin/dd', '/lib64/ld-linux-x86-64.so.2'],
      proctitle: 'dd if=/dev/zero bs=1 count=1',
      key: '(null)',
    });
    // SYSCALL's raw register arguments and EXECVE's argv share the names a0…: both are kept
    expect(e?.fields['a0']).toEqual(['558e25052c70', 'dd']);
    expect(e?.fields['a1']).toEqual(['558e251641a0', 'if=/dev/zero']);
  });

  it('reads every event of the arp sample, in order', () => {
    const { events } = read(entry('discovery/host/sh_arp_cache.zip'));
    expect(events.map((e) => e.fields['comm'])).toEqual(['arp', 'grep']);
    expect(events.map((e) => e.fields['proctitle'])).toEqual([
      'arp -a',
      expect.stringMatching(/^grep -v/),
    ]);
  });

  it('decodes hex values, joins split arguments and reads enriched and userspace records', () => {
    const text = [
      // raw EXECVE with a hex-encoded argument and one split into pieces
      'type=SYSCALL msg=audit(1700000000.123:10): arch=c000003e syscall=319 success=yes exit=3 a0=7ffd a1=0 comm="x" exe=2F746D702F612062 key=6D656D',
      'type=EXECVE msg=audit(1700000000.123:10): argc=3 a0="sh" a1=2D632069640A a2_len=6 a2[0]="abc" a2[1]="def"',
      'type=EOE msg=audit(1700000000.123:10): ',
      // enriched: names after \x1d
      'type=SYSCALL msg=audit(1700000001.000:11): arch=c000003e syscall=135 a0=40000 exe="/usr/bin/setarch"\x1dARCH=x86_64 SYSCALL=personality AUID="root" UID="root"',
      // userspace record with its details inside msg='…', and a node name
      'node=web01 type=USER_AUTH msg=audit(1700000002.500:12): pid=1 uid=0 auid=4294967295 ses=4294967295 msg=\'op=PAM:authentication grantors=? acct="root" exe="/usr/bin/su" hostname=? addr=? terminal=pts/0 res=failed\'',
      'this is not audit',
    ].join('\n');
    const { events, issues } = read(text);
    expect(issues.map((i) => [i.code, i.at?.line])).toEqual([['READ_BAD_LINE', 6]]);
    expect(events).toHaveLength(3);
    const [memfd, personality, auth] = events;
    expect(memfd?.fields).toMatchObject({
      type: ['SYSCALL', 'EXECVE'],
      SYSCALL: 'memfd_create',
      exe: '/tmp/a b',
      key: 'mem',
      a1: ['0', '-c id\n'],
      a2: 'abcdef',
    });
    expect(personality?.fields).toMatchObject({
      type: 'SYSCALL',
      SYSCALL: 'personality',
      ARCH: 'x86_64',
      AUID: 'root',
      a0: '40000',
    });
    expect(auth?.fields).toMatchObject({
      node: 'web01',
      type: 'USER_AUTH',
      op: 'PAM:authentication',
      acct: 'root',
      exe: '/usr/bin/su',
      res: 'failed',
      terminal: 'pts/0',
    });
    expect(auth?.ts).toBe(1700000002500);
  });

  it('groups interleaved records by serial', () => {
    const text = [
      'type=SYSCALL msg=audit(1.000:1): syscall=59 comm="a"',
      'type=SYSCALL msg=audit(1.000:2): syscall=59 comm="b"',
      'type=EXECVE msg=audit(1.000:1): argc=1 a0="a"',
      'type=EXECVE msg=audit(1.000:2): argc=1 a0="b"',
    ].join('\n');
    const { events } = read(text);
    expect(events.map((e) => [e.fields['comm'], e.fields['type'], e.origin.recordId])).toEqual([
      ['a', ['SYSCALL', 'EXECVE'], 1],
      ['b', ['SYSCALL', 'EXECVE'], 2],
    ]);
  });
});
