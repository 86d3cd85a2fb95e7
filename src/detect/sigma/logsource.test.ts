/** Tests the logsource routing parser and the shipped routing data against every logsource the SigmaHQ rules use. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { formatLocation } from '../../core/index.ts';
import type { Issue, LogSource } from '../../core/index.ts';
import { logsourceKey, parseLogsourceMap, translateValue, unservedFields } from './logsource.ts';
import type { MappedRoute, RoutingTable } from './logsource.ts';

const CONFIG = new URL('../../../config/logsources.yml', import.meta.url);
const SIGMA = new URL('../../../../shared/data/sigma/', import.meta.url);
const RULE_DIRS = [
  'rules',
  'rules-emerging-threats',
  'rules-threat-hunting',
  'rules-compliance',
  'rules-dfir',
  'rules-placeholder',
];

function loadShipped(): RoutingTable {
  const result = parseLogsourceMap(readFileSync(CONFIG, 'utf8'), 'config/logsources.yml');
  if (!result.ok) throw new Error(result.issues.map(show).join('\n'));
  return result.value;
}

function show(issue: Issue): string {
  return `${issue.at ? formatLocation(issue.at) : '?'}: ${issue.severity} ${issue.code}: ${issue.message}`;
}

function problems(text: string): string[] {
  const result = parseLogsourceMap(text, 'test.yml');
  return result.ok ? (result.warnings ?? []).map(show) : result.issues.map(show);
}

/** One route on one line, the form the golden test reviews. */
function print(route: MappedRoute): string {
  const parts = [route.name];
  const where = Object.entries(route.where).map(([k, v]) => `${k}=${v.join('|')}`);
  if (where.length > 0) parts.push(`where ${where.join(' ')}`);
  if (route.source) parts.push(`source ${logsourceKey(route.source).replaceAll('\t', '/')}`);
  const map = Object.entries(route.fieldMap)
    .filter(([from, to]) => from !== to)
    .map(([from, to]) => `${from}->${to}`);
  if (map.length > 0) parts.push(`map ${map.join(' ')}`);
  if (route.servedFields) parts.push('closed');
  return parts.join('  ');
}

/** Rule id → its logsource and the fields its detection names, filled by `ruleLogsources`. */
const ruleIds = new Map<string, { logsource: LogSource; fields: Set<string> }>();

/** Field names a detection tests (keys of its selections, modifiers cut off); keyword lists name none. */
function detectionFields(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const item of node) detectionFields(item, into);
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      into.add(key.split('|')[0] ?? key);
      detectionFields(value, into);
    }
  }
  return into;
}

function* ruleFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* ruleFiles(path);
    else if (entry.name.endsWith('.yml') || entry.name.endsWith('.yaml')) yield path;
  }
}

/** Every distinct (product, category, service) the SigmaHQ rule folders use, with how many rules use it. */
function ruleLogsources(): Map<string, { logsource: LogSource; rules: number }> {
  const found = new Map<string, { logsource: LogSource; rules: number }>();
  ruleIds.clear();
  for (const dir of RULE_DIRS) {
    for (const file of ruleFiles(new URL(dir, SIGMA).pathname)) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const value: unknown = doc.toJS();
        if (typeof value !== 'object' || value === null || !('logsource' in value)) continue;
        const raw = value.logsource as Record<string, unknown>;
        const logsource: { product?: string; category?: string; service?: string } = {};
        for (const part of ['product', 'category', 'service'] as const) {
          const v = raw[part];
          if (typeof v === 'string') logsource[part] = v;
        }
        if ('id' in value && typeof value.id === 'string' && 'detection' in value) {
          const selections = Object.entries(value.detection as Record<string, unknown>).filter(
            ([key]) => key !== 'condition' && key !== 'timeframe',
          );
          ruleIds.set(value.id, {
            logsource,
            fields: detectionFields(
              selections.map(([, selection]) => selection),
              new Set(),
            ),
          });
        }
        const key = logsourceKey(logsource);
        const seen = found.get(key);
        if (seen) seen.rules += 1;
        else found.set(key, { logsource, rules: 1 });
      }
    }
  }
  return found;
}

type Flat = Record<string, unknown>;

/** The EVTX JSON twins in SigmaHQ's regression data hold one or more concatenated `{"Event": …}` objects. */
function regressionEvents(text: string): Flat[] {
  const events: Flat[] = [];
  for (const chunk of text.split(/\n(?=\{\s*"Event")/)) {
    const event = (
      JSON.parse(chunk) as { Event: Record<string, Record<string, unknown> | undefined> }
    ).Event;
    const flat: Flat = {};
    for (const [k, v] of Object.entries(event['System'] ?? {}))
      if (typeof v !== 'object') flat[k] = v;
    const provider = event['System']?.['Provider'] as
      { '#attributes'?: { Name?: string } } | undefined;
    flat['Provider_Name'] = provider?.['#attributes']?.Name;
    Object.assign(flat, event['EventData'] ?? {});
    for (const inner of Object.values(event['UserData'] ?? {})) Object.assign(flat, inner);
    events.push(flat);
  }
  return events;
}

/** Whether a route's conditions hold for a flattened Windows event (what the engine does, naively). */
function selects(route: MappedRoute, event: Flat): boolean {
  if (route.source) {
    const { product, category, service } = route.source;
    if (product !== 'windows' || category !== undefined || service !== undefined) return false;
  }
  return Object.entries(route.where).every(([field, wanted]) => {
    const v = event[field];
    return wanted.some((w) =>
      typeof w === 'number' ? Number(v) === w : String(v).toLowerCase() === w.toLowerCase(),
    );
  });
}

describe('parseLogsourceMap: problems are located', () => {
  it('reports malformed YAML with file:line:col', () => {
    expect(problems('version: 1\nlogsources:\n  - logsource: { product: windows\n    routes: []\n'))
      .toMatchInlineSnapshot(`
      [
        "test.yml:4:5: error SIGMA_YAML: Flow map in block collection must be sufficiently indented and end with a }",
      ]
    `);
    expect([...problems(''), ...problems('- just a list\n')]).toMatchInlineSnapshot(`
      [
        "test.yml:1:1: error SIGMA_SCHEMA: the logsource map is empty",
        "test.yml:1:1: error SIGMA_SCHEMA: the logsource map must be a mapping",
      ]
    `);
    expect(problems('version: 1\nversion: 2\nlogsources: []\n')).toMatchInlineSnapshot(`
      [
        "test.yml:2:1: error SIGMA_YAML: Map keys must be unique",
      ]
    `);
  });

  it('reports unknown keys at the key', () => {
    const text = [
      'version: 1',
      'colour: blue',
      'logsources:',
      '  - logsource: { product: windows, categroy: process_creation }',
      '    routes:',
      '      - name: a',
      '        where: { EventID: 1 }',
      '        field_map: { Image: NewProcessName }',
      '    note: hello',
      '',
    ].join('\n');
    expect(problems(text)).toMatchInlineSnapshot(`
      [
        "test.yml:2:1 (colour): error SIGMA_SCHEMA: unknown key 'colour' in the logsource map (expected one of: version, system_fields, logsources)",
        "test.yml:9:5 (logsources[0].note): error SIGMA_SCHEMA: unknown key 'note' in a logsources entry (expected one of: logsource, routes)",
        "test.yml:4:36 (logsources[0].logsource.categroy): error SIGMA_SCHEMA: unknown key 'categroy' in logsource (expected one of: product, category, service)",
        "test.yml:8:9 (logsources[0].routes[0].field_map): error SIGMA_SCHEMA: unknown key 'field_map' in a route (expected one of: name, where, source, fieldmap, closed, values_differ, values)",
      ]
    `);
  });

  it('reports wrong shapes, duplicates and empty routes', () => {
    const text = [
      'version: 2',
      'logsources:',
      '  - logsource: { product: windows, service: security }',
      '    routes:',
      '      - name: windows/security',
      '        where: { Channel: Security, EventID: [4624, true] }',
      '        closed: yes please',
      '      - where: { Channel: Security }',
      '  - logsource: { product: Windows, service: security }',
      '    routes:',
      '      - name: windows/security',
      '        source: {}',
      '      - name: everything',
      '      - { name: empty, where: {} }',
      '  - logsource: { product: linux }',
      '    routes:',
      '      - name: closed-without-fields',
      '        source: { product: linux }',
      '        closed: true',
      '        values: { User: { root: "0" } }',
      '        values_differ: [User]',
      '      - name: open-with-differ',
      '        source: { product: linux }',
      '        values_differ: [User]',
      '  - logsource: {}',
      '    routes: []',
      '',
    ].join('\n');
    expect(problems(text)).toMatchInlineSnapshot(`
      [
        "test.yml:1:10 (version): error SIGMA_SCHEMA: version must be 1",
        "test.yml:6:53 (logsources[0].routes[0].where.EventID[1]): error SIGMA_SCHEMA: a where value must be a string or a number",
        "test.yml:7:17 (logsources[0].routes[0].closed): error SIGMA_SCHEMA: closed must be true or false",
        "test.yml:8:9 (logsources[0].routes[1]): error SIGMA_SCHEMA: a route needs a name",
        "test.yml:12:17 (logsources[1].routes[0].source): error SIGMA_SCHEMA: source needs at least one of product, category, service",
        "test.yml:11:9 (logsources[1].routes[0]): error SIGMA_LOGSOURCE: route name 'windows/security' is already used at line 5",
        "test.yml:13:9 (logsources[1].routes[1]): error SIGMA_LOGSOURCE: route 'everything' would match every event: give it where or source",
        "test.yml:14:31 (logsources[1].routes[2].where): error SIGMA_SCHEMA: where lists no condition",
        "test.yml:9:16 (logsources[1].logsource): error SIGMA_LOGSOURCE: logsource Windows/-/security is already mapped at line 3",
        "test.yml:19:17 (logsources[2].routes[0].closed): error SIGMA_FIELD_MAPPING: closed route 'closed-without-fields' serves no fields: list them in fieldmap",
        "test.yml:20:25 (logsources[2].routes[0].values.User): error SIGMA_FIELD_MAPPING: values.User: closed route 'closed-without-fields' does not serve User",
        "test.yml:21:25 (logsources[2].routes[0].values_differ[0]): error SIGMA_FIELD_MAPPING: values_differ: User is not in the fieldmap of route 'closed-without-fields'",
        "test.yml:24:24 (logsources[2].routes[1].values_differ): error SIGMA_FIELD_MAPPING: values_differ needs closed: true on route 'open-with-differ'",
        "test.yml:24:25 (logsources[2].routes[1].values_differ[0]): error SIGMA_FIELD_MAPPING: values_differ: User is not in the fieldmap of route 'open-with-differ'",
        "test.yml:25:16 (logsources[3].logsource): error SIGMA_SCHEMA: logsource needs at least one of product, category, service",
        "test.yml:26:13 (logsources[3].routes): error SIGMA_SCHEMA: routes lists no route",
      ]
    `);
  });

  it('accepts a minimal map, follows aliases and resolves case-insensitively', () => {
    const text = [
      'version: 1',
      'logsources:',
      '  - logsource: { product: windows, category: process_creation }',
      '    routes:',
      '      - name: sysmon',
      '        where: &sysmon { Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1 }',
      '  - logsource: { product: windows, service: sysmon }',
      '    routes:',
      '      - { name: sysmon-any, where: *sysmon }',
      '',
    ].join('\n');
    const result = parseLogsourceMap(text, 'mini.yml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.routes({ product: 'Windows', category: 'PROCESS_CREATION' })).toEqual([
      {
        name: 'sysmon',
        where: { Channel: ['Microsoft-Windows-Sysmon/Operational'], EventID: [1] },
        fieldMap: {},
        valueMap: {},
      },
    ]);
    expect(result.value.routes({ product: 'windows', service: 'sysmon' })?.[0]?.where).toEqual({
      Channel: ['Microsoft-Windows-Sysmon/Operational'],
      EventID: [1],
    });
    expect(result.value.routes({ product: 'windows' })).toBeUndefined();
    expect(
      result.value.routes({ product: 'windows', category: 'process_creation', service: 'x' }),
    ).toBeUndefined();
  });
});

describe('the shipped routing data', () => {
  const map = loadShipped();

  it('parses without issues or warnings', () => {
    const result = parseLogsourceMap(readFileSync(CONFIG, 'utf8'), 'config/logsources.yml');
    expect(result.ok && result.warnings).toBeUndefined();
  });

  it('routes process_creation to Sysmon 1 and to Security 4688 with its own field names', () => {
    const routes = map.routes({ product: 'windows', category: 'process_creation' });
    expect(routes?.map((r) => r.name)).toEqual([
      'windows/process_creation/sysmon',
      'windows/process_creation/security-4688',
    ]);
    const [sysmon, security] = routes ?? [];
    expect(sysmon?.where).toEqual({
      Channel: ['Microsoft-Windows-Sysmon/Operational'],
      EventID: [1],
    });
    expect(sysmon?.fieldMap).toEqual({});
    expect(sysmon?.servedFields).toBeUndefined();
    expect(security?.where).toEqual({ Channel: ['Security'], EventID: [4688] });
    expect(security?.fieldMap).toEqual({
      CommandLine: 'CommandLine',
      Image: 'NewProcessName',
      ParentImage: 'ParentProcessName',
      ProcessId: 'NewProcessId',
      ParentProcessId: 'ProcessId',
      User: 'SubjectUserName',
      LogonId: 'SubjectLogonId',
      IntegrityLevel: 'MandatoryLabel',
    });
    if (!security) return;
    // 4688 has no OriginalFileName, Hashes, ParentCommandLine…: a rule that needs them cannot run there.
    expect(
      unservedFields(security, ['Image', 'CommandLine', 'OriginalFileName', 'EventID']),
    ).toEqual(['OriginalFileName']);
    // Mapped, but spelled differently (DOMAIN\\name vs name, decimal vs hex): not comparable on 4688.
    expect(unservedFields(security, ['User', 'ProcessId', 'IntegrityLevel', 'LogonId'])).toEqual([
      'User',
      'ProcessId',
    ]);
    expect(unservedFields(sysmon!, ['OriginalFileName'])).toEqual([]);
    expect(translateValue(security, 'IntegrityLevel', 'high')).toBe('S-1-16-12288');
    expect(translateValue(security, 'IntegrityLevel', 'AppContainer')).toBe('AppContainer');
    expect(translateValue(security, 'Image', 'High')).toBe('High');
  });

  it('resolves every logsource the SigmaHQ rule folders use', () => {
    const used = ruleLogsources();
    const unknown = [...used.values()]
      .filter(({ logsource }) => map.routes(logsource) === undefined)
      .map(
        ({ logsource, rules }) =>
          `${logsourceKey(logsource).replaceAll('\t', '/')} (${rules} rules)`,
      );
    expect(unknown).toEqual([]);
    // The SigmaHQ snapshot in ../shared/data uses 137 distinct triples (136 in rules, emerging threats
    // and threat hunting, plus qualys in compliance); fewer would mean the walk broke.
    expect(used.size).toBeGreaterThanOrEqual(137);
    for (const { logsource } of used.values())
      expect(map.routes(logsource)?.length).toBeGreaterThan(0);
  });

  it("selects the events in SigmaHQ's regression data, with every field their rule names", () => {
    if (ruleIds.size === 0) ruleLogsources();
    const root = new URL('regression_data/', SIGMA).pathname;
    const missed: string[] = [];
    let cases = 0;
    for (const info of ruleFiles(root)) {
      if (!info.endsWith('info.yml')) continue;
      const meta = parseAllDocuments(readFileSync(info, 'utf8'))[0]?.toJS() as {
        rule_metadata?: { id: string }[];
        regression_tests_info?: { type: string; path: string }[];
      };
      for (const test of meta.regression_tests_info ?? []) {
        if (test.type !== 'evtx') continue;
        const id = meta.rule_metadata?.[0]?.id ?? '';
        const rule = ruleIds.get(id);
        if (rule === undefined) continue;
        const { logsource, fields } = rule;
        const jsonPath = new URL(test.path.replace(/\.evtx$/, '.json'), SIGMA).pathname;
        const events = regressionEvents(readFileSync(jsonPath, 'utf8'));
        const routes = map.routes(logsource) ?? [];
        cases += 1;
        // The recorded event must be selected by a route on which every rule field, renamed by the
        // route's fieldmap, exists (this is what caught Defender's "Threat Name" spelling).
        const found = events.some((e) =>
          routes.some((r) => selects(r, e) && [...fields].every((f) => (r.fieldMap[f] ?? f) in e)),
        );
        if (!found) missed.push(`${id} ${logsourceKey(logsource).replaceAll('\t', '/')}`);
      }
    }
    expect(missed).toEqual([]);
    expect(cases).toBeGreaterThanOrEqual(190);
  });

  it('covers every logsource SigmaHQ lists in tests/logsource.json', () => {
    const listing = JSON.parse(readFileSync(new URL('tests/logsource.json', SIGMA), 'utf8')) as {
      legit: Record<
        string,
        { category: Record<string, unknown>; service: Record<string, unknown> }
      >;
    };
    const missing: string[] = [];
    for (const [product, { category, service }] of Object.entries(listing.legit)) {
      const p = product === 'empty' ? {} : { product };
      for (const c of Object.keys(category))
        if (!map.routes({ ...p, category: c })) missing.push(`${product}/${c}/-`);
      for (const s of Object.keys(service))
        if (!map.routes({ ...p, service: s })) missing.push(`${product}/-/${s}`);
    }
    expect(missing).toEqual([]);
  });

  it('golden: a few resolved logsources', () => {
    const golden = (
      [
        { product: 'windows', category: 'process_creation' },
        { product: 'windows', category: 'registry_event' },
        { product: 'windows', category: 'ps_module' },
        { product: 'windows', service: 'security' },
        { product: 'windows' },
        { category: 'antivirus' },
        { product: 'linux', category: 'process_creation' },
        { product: 'linux', service: 'sshd' },
        { product: 'zeek', service: 'dns' },
        { category: 'dns' },
        { product: 'aws', service: 'cloudtrail' },
        { product: 'rpc_firewall', category: 'application' },
      ] satisfies LogSource[]
    ).flatMap((ls) => [
      `${logsourceKey(ls).replaceAll('\t', '/')}:`,
      ...(map.routes(ls) ?? []).map((r) => `  ${print(r)}`),
    ]);
    expect(golden.join('\n')).toMatchInlineSnapshot(`
      "windows/process_creation/:
        windows/process_creation/sysmon  where Channel=Microsoft-Windows-Sysmon/Operational EventID=1
        windows/process_creation/security-4688  where Channel=Security EventID=4688  map Image->NewProcessName ParentImage->ParentProcessName ProcessId->NewProcessId ParentProcessId->ProcessId User->SubjectUserName LogonId->SubjectLogonId IntegrityLevel->MandatoryLabel  closed
      windows/registry_event/:
        windows/registry_event/sysmon  where Channel=Microsoft-Windows-Sysmon/Operational EventID=12|13|14
      windows/ps_module/:
        windows/ps_module/powershell-4103  where Channel=Microsoft-Windows-PowerShell/Operational|PowerShellCore/Operational EventID=4103
        windows/ps_module/powershell-classic-800  where Channel=Windows PowerShell EventID=800  map ContextInfo->Data Payload->Data  closed
      windows//security:
        windows/security  where Channel=Security
      windows//:
        windows/any  source windows//
      /antivirus/:
        antivirus/source  source /antivirus/
        antivirus/windefend  where Channel=Microsoft-Windows-Windows Defender/Operational EventID=1006|1007|1008|1009|1010|1011|1012|1017|1018|1019|1115|1116  map Signature->Threat Name Filename->Path  closed
      linux/process_creation/:
        linux/process_creation/sysmon  where Channel=Linux-Sysmon/Operational EventID=1
        linux/process_creation/source  source linux/process_creation/
      linux//sshd:
        linux/sshd/program  where program=sshd|sshd-session  source linux//
        linux/sshd  source linux//sshd
      zeek//dns:
        zeek/dns  source zeek//dns
      /dns/:
        dns/source  source /dns/
        dns/zeek  source zeek//dns  map answer->answers record_type->qtype_name
      aws//cloudtrail:
        aws/cloudtrail  source aws//cloudtrail
      rpc_firewall/application/:
        rpc_firewall/application/rpcfw  where Channel=RPCFW  map EventLog->Channel
        rpc_firewall/application/source  source rpc_firewall//"
    `);
  });
});
