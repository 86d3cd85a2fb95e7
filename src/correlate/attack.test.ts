/** Tests for the ATT&CK table: real lookups, the kill chain, SigmaHQ's tags, mitigations, and that the shipped file is a fresh build. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BuildError,
  buildAttack,
  cleanText,
  firstSentence,
  outputNotice,
} from '../../scripts/build-attack.ts';
import { VigilError } from '../core/index.ts';
import {
  AttackTable,
  attack,
  attackTableFile,
  killChainOrder,
  mitigationsFor,
  parseAttackTable,
  readAttackTable,
  tacticIndex,
  tacticsFromTags,
  techniquesFromTags,
} from './index.ts';

const SHARED = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const ATTACK_DIR = join(SHARED, 'attack');
const SIGMA_RULES = join(SHARED, 'sigma', 'rules');

/** The bundle read directly, to check the table against MITRE's own objects. */
interface Stix {
  type: string;
  id: string;
  relationship_type?: string;
  source_ref?: string;
  target_ref?: string;
  external_references?: { source_name: string; external_id?: string }[];
}
let bundle: Stix[] = [];
const attackIdOf = (ref: string | undefined): string | undefined =>
  bundle
    .find((o) => o.id === ref)
    ?.external_references?.find((r) => r.source_name === 'mitre-attack')?.external_id;
const refOf = (id: string): string | undefined =>
  bundle.find(
    (o) =>
      o.type === 'attack-pattern' &&
      o.external_references?.some((r) => r.source_name === 'mitre-attack' && r.external_id === id),
  )?.id;

beforeAll(() => {
  const raw = gunzipSync(readFileSync(join(ATTACK_DIR, 'enterprise-attack.rebuilt.json.gz')));
  bundle = (JSON.parse(raw.toString('utf8')) as { objects: Stix[] }).objects;
});

describe('the shipped table', () => {
  it('is byte for byte what the build makes from ../shared/data/attack (JSON and NOTICE)', async () => {
    const out = await buildAttack(ATTACK_DIR);
    expect(out.json).toBe(readFileSync(attackTableFile, 'utf8'));
    expect(out.notice).toBe(readFileSync(outputNotice, 'utf8'));
    expect(parseAttackTable(out.json)).toEqual(attack.data);
    expect(out.counts).toEqual({
      tactics: 14,
      techniques: 216,
      subtechniques: 475,
      revoked: 132,
      mitigations: 44,
      links: 1445,
    });
    expect(Buffer.byteLength(out.json)).toBeLessThan(2_000_000);
  });

  it('carries MITRE’s designation and licence', () => {
    const licence = readFileSync(join(ATTACK_DIR, 'LICENSE.txt'), 'utf8');
    const notice = readFileSync(outputNotice, 'utf8');
    expect(notice).toContain(licence.trim());
    expect(attack.data.attack.copyright[0]).toMatch(/^© 2025 The MITRE Corporation\./);
    expect(attack.data.attack.version).toBe('18.1');
  });

  it('keeps no citations, Markdown links or HTML code tags in any text', () => {
    const texts = [
      ...attack.data.techniques.map((t) => t.description),
      ...attack.data.mitigations.map((m) => m.description),
      ...attack.data.mitigates.map((l) => l.description),
    ];
    expect(texts.filter((t) => /\(Citation:|\]\(http|<\/?code>|&lt;/.test(t))).toEqual([]);
    expect(texts.filter((t) => t.trim() === '')).toEqual([]);
  });
});

describe('the build', () => {
  it('says clearly when its input is missing', async () => {
    const missing = buildAttack('/nonexistent/attack');
    await expect(missing).rejects.toBeInstanceOf(BuildError);
    await expect(missing).rejects.toThrow(
      "no ATT&CK input folder at /nonexistent/attack. It must hold MITRE's Enterprise STIX bundle",
    );
    const dir = mkdtempSync(join(tmpdir(), 'vigil-attack-'));
    try {
      await expect(buildAttack(dir)).rejects.toThrow(/no STIX bundle .* in /);
      writeFileSync(join(dir, 'enterprise-attack.json'), '{"type":"bundle","objects":[]}');
      await expect(buildAttack(dir)).rejects.toThrow(/no LICENSE\.txt in .*MITRE's terms/);
      writeFileSync(join(dir, 'LICENSE.txt'), 'terms');
      await expect(buildAttack(dir)).rejects.toThrow(/no enterprise-attack matrix/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('cleans MITRE’s text', () => {
    expect(
      cleanText(
        'Use [PowerShell](https://attack.mitre.org/techniques/T1059/001) <code>-enc</code>.(Citation: A B)(Citation: C) Next &lt;x&gt;  here.',
      ),
    ).toBe('Use PowerShell `-enc`. Next <x> here.');
    expect(cleanText('One.\n\n\n\n(Citation: X)Two <b>bold</b><br>three')).toBe(
      'One.\n\nTwo **bold**\nthree',
    );
  });

  it('takes the first sentence, not an abbreviation or a file name', () => {
    expect(firstSentence('Tools (e.g. Mimikatz) read .NET assemblies. Second one.')).toBe(
      'Tools (e.g. Mimikatz) read .NET assemblies.',
    );
    expect(firstSentence('It runs on Apple systems. macOS has plist files.')).toBe(
      'It runs on Apple systems.',
    );
    expect(firstSentence('Loads System.Management.Automation via `code`. Then more.')).toBe(
      'Loads System.Management.Automation via code.',
    );
    expect(firstSentence('Persists on systems.The BIOS is firmware.')).toBe('Persists on systems.');
    expect(firstSentence('No full stop\n\nSecond paragraph.')).toBe('No full stop');
  });
});

describe('lookups', () => {
  it('names techniques and sub-techniques, any case', () => {
    expect(attack.technique('T1059.001')).toMatchObject({
      id: 'T1059.001',
      name: 'PowerShell',
      tactics: ['execution'],
      isSubtechnique: true,
      parent: 'T1059',
      platforms: ['Windows'],
      description: 'Adversaries may abuse PowerShell commands and scripts for execution.',
    });
    expect(attack.technique('t1003.001')?.name).toBe('LSASS Memory');
    expect(attack.technique(' T1003 ')).toMatchObject({
      name: 'OS Credential Dumping',
      isSubtechnique: false,
    });
    expect(attack.technique('T1003')).not.toHaveProperty('parent');
    expect(attack.technique('T9999')).toBeUndefined();
    expect(attack.technique('constructor')).toBeUndefined();
  });

  it('resolves revoked ids to their replacement, following chains', () => {
    const revoked = bundle.filter(
      (o) => o.type === 'relationship' && o.relationship_type === 'revoked-by',
    );
    const next = (id: string): string | undefined =>
      attackIdOf(revoked.find((r) => r.source_ref === refOf(id))?.target_ref);
    // T1002 "Data Compressed" was revoked by one technique.
    expect(attack.technique('T1002')?.id).toBe(next('T1002'));
    // T1150 was revoked by a technique that was itself revoked later.
    const first = next('T1150');
    expect(first).toBeDefined();
    expect(Object.keys(attack.data.revoked)).toContain(first);
    expect(attack.technique('T1150')?.id).toBe(next(first ?? ''));
    expect(attack.technique('t1150')?.id).toBe(attack.technique(first ?? '')?.id);
    expect(Object.keys(attack.data.revoked)).toHaveLength(132);
  });

  it('orders tactics along the enterprise kill chain', () => {
    expect(attack.tactics.map((t) => t.shortname)).toEqual([
      'reconnaissance',
      'resource-development',
      'initial-access',
      'execution',
      'persistence',
      'privilege-escalation',
      'defense-evasion',
      'credential-access',
      'discovery',
      'lateral-movement',
      'collection',
      'command-and-control',
      'exfiltration',
      'impact',
    ]);
    expect(tacticIndex('reconnaissance')).toBe(0);
    expect(tacticIndex('impact')).toBe(13);
    expect(tacticIndex('Command_And_Control')).toBe(11);
    expect(tacticIndex('not-a-tactic')).toBeUndefined();
    expect(
      killChainOrder(['impact', 'execution', 'bogus', 'Initial_Access', 'TA0043', 'impact']),
    ).toEqual(['reconnaissance', 'initial-access', 'execution', 'impact']);
    expect(attack.tactic('TA0002')?.name).toBe('Execution');
  });

  it('reads techniques from Sigma tags', () => {
    expect(
      techniquesFromTags([
        'attack.t1059.001',
        'ATTACK.T1003.001',
        'attack.t1059.001',
        'attack.execution',
        'attack.t9999',
        'attack.s0002',
        'cve.2021-44228',
      ]).map((t) => t.id),
    ).toEqual(['T1003.001', 'T1059.001']);
  });

  it('reads tactics from Sigma tags and from techniques whose tactics are not tagged', () => {
    expect(tacticsFromTags(['attack.execution', 'attack.t1059.001'])).toEqual(['execution']);
    expect(tacticsFromTags(['attack.t1059.001'])).toEqual(['execution']);
    const t1078 = attack.technique('T1078')?.tactics ?? [];
    expect(t1078.length).toBeGreaterThan(1);
    expect(tacticsFromTags(['attack.t1078'])).toEqual(killChainOrder(t1078));
    expect(tacticsFromTags(['attack.persistence', 'attack.t1078'])).toEqual(['persistence']);
    expect(
      tacticsFromTags(['attack.impact', 'attack.credential-access', 'attack.t1003.001']),
    ).toEqual(['credential-access', 'impact']);
    // v19's split of Defense Evasion, as SigmaHQ tags it, lands on the table's defense-evasion.
    expect(tacticsFromTags(['attack.stealth', 'attack.t1027'])).toEqual(['defense-evasion']);
    expect(tacticsFromTags(['attack.defense-impairment'])).toEqual(['defense-evasion']);
    expect(tacticsFromTags(['attack.g0020', 'attack.s0002', 'attack.bogus', 'tlp.white'])).toEqual(
      [],
    );
  });
});

describe('mitigations', () => {
  const fromBundle = (id: string): string[] =>
    bundle
      .filter(
        (o) =>
          o.type === 'relationship' &&
          o.relationship_type === 'mitigates' &&
          o.target_ref === refOf(id),
      )
      .map((r) => attackIdOf(r.source_ref) ?? '')
      .sort();

  it('are MITRE’s for the technique, with how each applies', () => {
    const advice = mitigationsFor(['T1059.001']);
    expect(advice.map((a) => a.mitigation.id).sort()).toEqual(fromBundle('T1059.001'));
    expect(advice.map((a) => a.mitigation.id).sort()).toEqual([
      'M1026',
      'M1038',
      'M1042',
      'M1045',
      'M1049',
    ]);
    const signing = advice.find((a) => a.mitigation.id === 'M1045');
    expect(signing?.mitigation.name).toBe('Code Signing');
    expect(signing?.covers).toEqual([
      {
        technique: attack.technique('T1059.001'),
        how: 'Set PowerShell execution policy to execute only signed scripts.',
      },
    ]);
    expect(
      mitigationsFor(['T1003.001'])
        .map((a) => a.mitigation.id)
        .sort(),
    ).toEqual(fromBundle('T1003.001'));
  });

  it('are ranked by how many of the techniques they cover', () => {
    const ids = ['T1059.001', 'T1059.003', 'T1003.001', 'T1021.001', 'T1002', 'T9999'];
    const advice = mitigationsFor(ids);
    const counts = advice.map((a) => a.covers.length);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(counts[0]).toBeGreaterThan(1);
    // Every (mitigation, technique) pair in the bundle for these techniques appears exactly once.
    const pairs = advice.flatMap((a) =>
      a.covers.map((c) => `${a.mitigation.id} ${c.technique.id}`),
    );
    const current = ids.map((id) => attack.technique(id)?.id).filter((id) => id !== undefined);
    const expected = current.flatMap((t) => fromBundle(t).map((m) => `${m} ${t}`));
    expect(pairs.sort()).toEqual(expected.sort());
    expect(mitigationsFor([])).toEqual([]);
  });
});

describe('loading', () => {
  it('reads the file once, on the first question', () => {
    let reads = 0;
    const table = new AttackTable(() => {
      reads++;
      return readAttackTable();
    });
    expect(reads).toBe(0);
    expect(table.technique('T1059')?.name).toBe('Command and Scripting Interpreter');
    expect(table.tacticsFromTags(['attack.t1059'])).toEqual(['execution']);
    expect(table.mitigation('m1042')?.name).toBe('Disable or Remove Feature or Program');
    expect(reads).toBe(1);
  });

  it('fails with a code when the file is missing or is not a table', () => {
    expect(() => readAttackTable('/nonexistent/enterprise.json')).toThrow(/ENOENT.*build:attack/);
    const codeOf = (f: () => unknown): unknown => {
      try {
        f();
      } catch (err) {
        return err instanceof VigilError ? err.code : err;
      }
      return 'no error';
    };
    expect(codeOf(() => readAttackTable('/nonexistent/enterprise.json'))).toBe('READ_IO');
    expect(codeOf(() => parseAttackTable('{"format": 1}'))).toBe('INTERNAL');
    expect(codeOf(() => parseAttackTable('{"format": 2, "attack": {}, "revoked": {}}'))).toBe(
      'INTERNAL',
    );
    expect(() => parseAttackTable('{"format": 1}')).toThrow(/not an ATT&CK table of format 1/);
    expect(() => parseAttackTable('nope')).toThrow(/is not JSON/);
  });
});

describe('SigmaHQ rules', () => {
  /**
   * Techniques SigmaHQ tags that ATT&CK v18.1 does not have: they come from v19, which moved Impair
   * Defenses' sub-techniques to new techniques under Defense Impairment. None is in MITRE's own index
   * of the data either.
   */
  const LACKING = [
    'T1685',
    'T1685.001',
    'T1685.002',
    'T1685.004',
    'T1685.005',
    'T1685.006',
    'T1686',
    'T1686.001',
    'T1686.002',
    'T1686.003',
    'T1689',
    'T1690',
  ];

  let cached: Map<string, number> | undefined;
  const ruleTags = (): Map<string, number> => {
    if (cached) return cached;
    const tags = new Map<string, number>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(e.name)) {
          const rule = load(readFileSync(p, 'utf8')) as { tags?: unknown } | null;
          const list = Array.isArray(rule?.tags) ? (rule.tags as unknown[]) : [];
          for (const t of list) if (typeof t === 'string') tags.set(t, (tags.get(t) ?? 0) + 1);
        }
      }
    };
    walk(SIGMA_RULES);
    return (cached = tags);
  };

  it('name techniques the table has, except the v19 ones the data lacks', () => {
    const tags = ruleTags();
    const techniqueTags = [...tags.keys()].filter((t) => /^attack\.t\d/i.test(t));
    const unresolved = techniqueTags.filter((t) => techniquesFromTags([t]).length === 0);
    const uses = (list: string[]): number => list.reduce((n, t) => n + (tags.get(t) ?? 0), 0);
    console.log(
      `SigmaHQ rules: ${techniqueTags.length} distinct technique tags (${uses(techniqueTags)} uses); ` +
        `${unresolved.length} do not resolve (${uses(unresolved)} uses): ${unresolved.join(' ')}`,
    );
    expect(techniqueTags.length).toBeGreaterThan(300);
    expect(unresolved.map((t) => t.slice('attack.'.length).toUpperCase()).sort()).toEqual(LACKING);
    const index = JSON.parse(
      readFileSync(join(ATTACK_DIR, 'enterprise-techniques.min.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(LACKING.filter((id) => id in index || refOf(id) !== undefined)).toEqual([]);
  });

  it('name tactics the table has (stealth and defense-impairment through their predecessor)', () => {
    const tacticTags = [...ruleTags().keys()].filter((t) => /^attack\.[a-z]+(-[a-z]+)*$/.test(t));
    expect(tacticTags).toContain('attack.stealth');
    expect(tacticTags.filter((t) => tacticsFromTags([t]).length !== 1)).toEqual([]);
  });
});
