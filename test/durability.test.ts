/**
 * Durability: `vigil serve` is SIGKILLed during sustained ingest; after a restart every acknowledged event is
 * in the store, and every stored event that fires a rule has exactly one alert (none lost, none twice).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const PASSWORD = 'durability-test-password';
const children: ChildProcess[] = [];

function serve(data: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(
    process.execPath,
    [join(root, 'bin', 'vigil.js'), 'serve', '--data', data, '--port', '0'],
    {
      env: { ...process.env, VIGIL_ADMIN_PASSWORD: PASSWORD },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(proc);
  let log = '';
  return new Promise((resolve, reject) => {
    proc.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m?.[1]) resolve({ proc, url: m[1] });
    });
    proc.on('exit', (code, signal) => {
      reject(new Error(`server exited (${String(code ?? signal)}) before listening:\n${log}`));
    });
  });
}

/** Resolves when the process has exited, also when it already had (the 'exit' event may be gone). */
function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => {
      resolve();
    });
  });
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** A Sysmon process creation; every tenth runs `whoami /all`, which Vigil's and SigmaHQ's rules flag. */
function event(n: number): string {
  const suspicious = n % 10 === 0;
  return JSON.stringify({
    Event: {
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
        EventID: 1,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: `ws${n % 7}.corp.local`,
        EventRecordID: n,
        TimeCreated: {
          '#attributes': {
            SystemTime: new Date(Date.UTC(2026, 10, 27, 9, 0, 0) + n).toISOString(),
          },
        },
      },
      EventData: {
        Image: suspicious
          ? 'C:\\Windows\\System32\\whoami.exe'
          : 'C:\\Windows\\System32\\notepad.exe',
        CommandLine: suspicious ? 'whoami /all' : `notepad.exe report-${n}.txt`,
        User: 'CORP\\alice',
        ProcessGuid: `{00000000-0000-0000-0000-${String(n).padStart(12, '0')}}`,
        ParentImage: 'C:\\Windows\\explorer.exe',
        TestSeq: n,
      },
    },
  });
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('durability', () => {
  it('keeps every acknowledged event and raises each alert exactly once across a SIGKILL', async () => {
    const data = mkdtempSync(join(tmpdir(), 'vigil-durability-'));
    try {
      const first = await serve(data);
      const login = await json(`${first.url}/api/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'admin', password: PASSWORD }),
      });
      const auth = {
        authorization: `Bearer ${String(login['token'])}`,
        'content-type': 'application/json',
      };
      await json(`${first.url}/api/v1/tenants`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'Durable', id: 'durable' }),
      });
      const key = String(
        (
          await json(`${first.url}/api/v1/tenants/durable/keys`, {
            method: 'POST',
            headers: auth,
            body: '{}',
          })
        )['key'],
      );

      // Four senders post batches of 200 until the server dies; what was answered 200 is acknowledged.
      const acked = new Set<number>();
      let next = 0;
      let killed = false;
      const sender = async (): Promise<void> => {
        while (!killed) {
          const batch = Array.from({ length: 200 }, () => next++);
          try {
            const res = await fetch(`${first.url}/api/v1/ingest`, {
              method: 'POST',
              headers: { authorization: `ApiKey ${key}`, 'content-type': 'application/x-ndjson' },
              body: batch.map(event).join('\n'),
              signal: AbortSignal.timeout(15_000),
            });
            if (res.status === 200) {
              const r = (await res.json()) as { accepted: number };
              if (r.accepted === batch.length) for (const n of batch) acked.add(n);
            } else await res.arrayBuffer();
          } catch {
            return; // the connection died with the server
          }
        }
      };
      const senders = Promise.all([sender(), sender(), sender(), sender()]);
      await new Promise((r) => setTimeout(r, 2500));
      killed = true;
      first.proc.kill('SIGKILL');
      await senders;
      await exited(first.proc);
      expect(acked.size).toBeGreaterThan(1000);

      // Restart: the pipeline detects what was stored but not detected before the kill, then listens.
      const second = await serve(data);
      second.proc.kill('SIGTERM');
      await exited(second.proc);

      const db = new Database(join(data, 'vigil.db'), { readonly: true });
      try {
        const rows = db
          .prepare(
            "SELECT id, json_extract(fields, '$.TestSeq') AS n FROM events WHERE tenant = 'durable'",
          )
          .all() as { id: string; n: number }[];
        const stored = new Map(rows.map((r) => [r.n, r.id]));
        const missing = [...acked].filter((n) => !stored.has(n));
        expect(missing).toEqual([]);

        // Every stored whoami event has exactly one alert of each rule it fires; the cursor reached the end.
        const alerts = db
          .prepare(
            "SELECT json_extract(rule, '$.id') AS rule, event_ids FROM alerts WHERE tenant = 'durable' AND kind = 'event'",
          )
          .all() as { rule: string; event_ids: string }[];
        const perRuleEvent = new Map<string, number>();
        for (const a of alerts) {
          for (const id of JSON.parse(a.event_ids) as string[]) {
            const k = `${a.rule} ${id}`;
            perRuleEvent.set(k, (perRuleEvent.get(k) ?? 0) + 1);
          }
        }
        expect([...perRuleEvent.values()].filter((c) => c > 1)).toEqual([]);
        const suspicious = [...stored].filter(([n]) => n % 10 === 0).map(([, id]) => id);
        const rules = new Set(alerts.map((a) => a.rule));
        expect(rules.size).toBeGreaterThan(0);
        for (const rule of rules) {
          const lost = suspicious.filter((id) => !perRuleEvent.has(`${rule} ${id}`));
          expect(lost, `events without an alert of rule ${rule}`).toEqual([]);
        }
        const cursor = db.prepare("SELECT seq FROM cursors WHERE name = 'detect'").get() as {
          seq: number;
        };
        const head = db.prepare('SELECT max(seq) AS seq FROM events').get() as { seq: number };
        expect(cursor.seq).toBe(head.seq);
      } finally {
        db.close();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);
});
