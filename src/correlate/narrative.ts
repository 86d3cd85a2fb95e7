/**
 * An incident's narrative, in English and Traditional Chinese, built deterministically from its story:
 * what happened, where and when, how it started, how it spread, what is infected and what is not, and what
 * to check next; and the recommended mitigations: MITRE ATT&CK's for the techniques seen, plus Vigil's own
 * advice for the attack patterns it recognises.
 */
import { mitigationsFor } from './attack.ts';
import type { Story } from './story.ts';

export type Language = 'en' | 'zh-TW';

export interface Recommendation {
  /** `M1042` for MITRE's, `VIGIL-…` for Vigil's own. */
  readonly id: string;
  readonly name: string;
  /** Why it applies here (MITRE's how-to for the first technique it covers, or Vigil's advice). */
  readonly how: string;
  readonly techniques: readonly string[];
  /**
   * The name and advice in Traditional Chinese, for Vigil's own advice. MITRE's mitigations have none:
   * ATT&CK is published in English, and its names are what analysts search for.
   */
  readonly zh?: { readonly name: string; readonly how: string };
}

export interface Narrative {
  readonly text: Readonly<Record<Language, string>>;
  readonly nextSteps: Readonly<Record<Language, readonly string[]>>;
  readonly mitigations: readonly Recommendation[];
}

/** Vigil's own advice by technique (prefix match on the technique id). */
const VIGIL_ADVICE: readonly {
  readonly techniques: readonly string[];
  /** Only when the story's graph holds an entity of this type (a database, a mail). */
  readonly needs?: string;
  /** Not when the graph holds an entity of this type (another piece of advice covers that case). */
  readonly unless?: string;
  readonly id: string;
  readonly name: Record<Language, string>;
  readonly how: Record<Language, string>;
}[] = [
  {
    techniques: ['T1003', 'T1550', 'T1558'],
    id: 'VIGIL-CRED',
    name: { en: 'Reset exposed credentials', 'zh-TW': '重設外洩的憑證' },
    how: {
      en: 'Credentials were dumped or reused: reset the passwords of every account seen on the infected hosts, twice for krbtgt if a domain controller is involved, and look for their use elsewhere.',
      'zh-TW':
        '憑證遭傾印或重複使用：重設受感染主機上出現過的所有帳號密碼；若涉及網域控制站，krbtgt 需重設兩次，並追查這些帳號在其他地方的使用。',
    },
  },
  {
    techniques: ['T1210', 'T1190'],
    unless: 'database',
    id: 'VIGIL-PATCH',
    name: { en: 'Patch and close the exploited service', 'zh-TW': '修補並關閉遭利用的服務' },
    how: {
      en: 'A remote service was exploited: patch it (for SMB, MS17-010), and block it at the perimeter and between workstations.',
      'zh-TW':
        '遠端服務遭到利用：請套用修補程式（SMB 為 MS17-010），並在邊界與工作站之間封鎖該服務。',
    },
  },
  {
    techniques: ['T1053', 'T1543', 'T1547'],
    id: 'VIGIL-PERSIST',
    name: { en: 'Remove persistence before restoring', 'zh-TW': '復原前先移除持續性機制' },
    how: {
      en: 'The attacker installed persistence (scheduled tasks, services, run keys): remove every instance on every infected host before bringing them back, or the attack resumes.',
      'zh-TW':
        '攻擊者已安裝持續性機制（排程工作、服務、Run 機碼）：在主機恢復上線前，須於每台受感染主機移除所有實例，否則攻擊將再度發生。',
    },
  },
  {
    techniques: ['T1496'],
    id: 'VIGIL-MINING',
    name: { en: 'Block mining pools and hunt the miner', 'zh-TW': '封鎖挖礦池並追查挖礦程式' },
    how: {
      en: 'Resources are being hijacked for mining: block the mining pool addresses and domains at the egress, and hunt for the miner in memory on every host that reached them.',
      'zh-TW':
        '系統資源遭劫持挖礦：於對外出口封鎖挖礦池的位址與網域，並在所有連線過的主機記憶體中追查挖礦程式。',
    },
  },
  {
    techniques: ['T1190', 'T1213', 'T1485'],
    needs: 'database',
    id: 'VIGIL-DATABASE',
    name: {
      en: 'Take the database off the Internet and require authentication',
      'zh-TW': '將資料庫移出網際網路並啟用身分驗證',
    },
    how: {
      en: 'A database was reachable from the Internet without a password: bind it to internal addresses, block its port at the firewall, turn on access control with a separate account per application, and check every other database server for the same exposure. Do not pay: scripts that drop databases rarely keep a copy.',
      'zh-TW':
        '資料庫可在無密碼的情況下由網際網路存取：請將其綁定於內部位址、在防火牆封鎖其連接埠、啟用存取控制並為每個應用程式建立獨立帳號，並檢查其他資料庫伺服器是否有相同的暴露。請勿支付贖金：刪除資料庫的自動化腳本很少保留備份。',
    },
  },
  {
    techniques: ['T1505.002'],
    id: 'VIGIL-TRANSPORT-AGENT',
    name: {
      en: 'Remove the rogue transport agent and review mail flow',
      'zh-TW': '移除惡意傳輸代理程式並檢查郵件流向',
    },
    how: {
      en: 'A transport agent sees, changes and deletes every message the server handles: compare Get-TransportAgent on every Exchange server with the agents you installed, remove the unknown one (Uninstall-TransportAgent), restart MSExchangeTransport, delete its DLL and configuration files, reset the accounts that installed it, and search message tracking for mail it deleted or redirected.',
      'zh-TW':
        '傳輸代理程式可讀取、修改並刪除伺服器處理的每一封郵件：請在每台 Exchange 伺服器上以 Get-TransportAgent 比對您安裝過的代理程式，移除不明代理程式（Uninstall-TransportAgent）、重新啟動 MSExchangeTransport、刪除其 DLL 與設定檔、重設安裝它的帳號，並在郵件追蹤記錄中搜尋遭其刪除或轉寄的郵件。',
    },
  },
  {
    techniques: ['T1059.001', 'T1620', 'T1027'],
    id: 'VIGIL-FILELESS',
    name: {
      en: 'Hunt the in-memory stage and restrict PowerShell',
      'zh-TW': '追查記憶體中的惡意階段並限制 PowerShell',
    },
    how: {
      en: 'The payload ran from memory, so disk scans will miss it: collect memory of the infected hosts, keep PowerShell script block logging on everywhere, block the download hosts, and limit PowerShell to signed scripts or Constrained Language Mode for users who do not need it.',
      'zh-TW':
        '惡意程式於記憶體中執行，磁碟掃描無法發現：請蒐集受感染主機的記憶體、在所有主機保持 PowerShell 指令碼區塊記錄、封鎖下載來源，並對不需要的使用者限制 PowerShell 僅能執行已簽署指令碼或使用受限語言模式。',
    },
  },
  {
    techniques: ['T1485', 'T1486', 'T1490'],
    id: 'VIGIL-RESTORE',
    name: { en: 'Restore from offline backups', 'zh-TW': '從離線備份還原' },
    how: {
      en: 'Data was destroyed or encrypted: restore from backups the attacker could not reach, after the entry point is closed.',
      'zh-TW': '資料遭破壞或加密：在入侵管道關閉後，從攻擊者無法存取的備份還原。',
    },
  },
];

const TACTIC_NAMES_ZH: Readonly<Record<string, string>> = {
  reconnaissance: '偵察',
  'resource-development': '資源開發',
  'initial-access': '初始存取',
  execution: '執行',
  persistence: '持續性',
  'privilege-escalation': '權限提升',
  'defense-evasion': '防禦規避',
  'credential-access': '憑證存取',
  discovery: '探索',
  'lateral-movement': '橫向移動',
  collection: '收集',
  'command-and-control': '命令與控制',
  exfiltration: '資料外洩',
  impact: '衝擊',
};

function utc(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function list(items: readonly string[], lang: Language): string {
  if (lang === 'zh-TW') return items.join('、');
  if (items.length <= 2) return items.join(' and ');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/** The narrative and recommendations of one incident's story. */
export function narrate(story: Story): Narrative {
  const first = story.timeline[0];
  const last = story.timeline[story.timeline.length - 1];
  const infected = story.hosts.filter((h) => h.state === 'infected').map((h) => h.name);
  const targeted = story.hosts.filter((h) => h.state === 'targeted').map((h) => h.name);
  const clean = story.hosts.filter((h) => h.state === 'clean').map((h) => h.name);
  // Spread: the order in which hosts first appear in the timeline, and the logons/exploits between them.
  const order: string[] = [];
  for (const t of story.timeline) if (t.host && !order.includes(t.host)) order.push(t.host);
  const labels = new Map(story.nodes.map((n) => [n.id, n]));
  const lateral = story.edges
    .filter((e) => e.type === 'logged_on_to' || e.type === 'exploited')
    .map((e) => ({
      from: labels.get(e.from)?.label ?? e.from,
      to: labels.get(e.to)?.label ?? e.to,
      type: e.type,
    }));

  const en: string[] = [];
  const zh: string[] = [];
  if (first && last) {
    en.push(
      `${story.timeline.length} alert(s) from ${utc(first.ts)} to ${utc(last.ts)} on ${order.length} host(s)` +
        (story.tactics.length > 0 ? `, reaching ${list(story.tactics, 'en')}.` : '.'),
    );
    zh.push(
      `自 ${utc(first.ts)} 至 ${utc(last.ts)}，共 ${story.timeline.length} 則告警，涉及 ${order.length} 台主機` +
        (story.tactics.length > 0
          ? `，攻擊進展至${list(
              story.tactics.map((t) => TACTIC_NAMES_ZH[t] ?? t),
              'zh-TW',
            )}。`
          : '。'),
    );
  }
  if (story.source) {
    en.push(`It started from ${story.source.label} (${story.source.type}).`);
    zh.push(`攻擊來源為 ${story.source.label}（${story.source.type}）。`);
  }
  if (story.patientZero) {
    en.push(`The first host with evidence of execution or persistence was ${story.patientZero}.`);
    zh.push(`最早出現執行或持續性跡象的主機（零號病人）為 ${story.patientZero}。`);
  }
  if (order.length > 1) {
    en.push(`Activity moved ${order.join(' → ')}.`);
    zh.push(`活動依序出現在 ${order.join(' → ')}。`);
  }
  for (const l of lateral.slice(0, 5)) {
    const verb = l.type === 'exploited' ? 'exploited' : 'logged on to';
    en.push(`${l.from} ${verb} ${l.to}.`);
    zh.push(`${l.from} ${l.type === 'exploited' ? '利用漏洞入侵' : '登入'} ${l.to}。`);
  }
  en.push(
    infected.length > 0
      ? `Infected: ${list(infected, 'en')}.`
      : 'No host shows evidence of execution or persistence.',
  );
  zh.push(
    infected.length > 0
      ? `已受感染：${list(infected, 'zh-TW')}。`
      : '沒有主機出現執行或持續性的跡象。',
  );
  if (targeted.length > 0) {
    en.push(`Targeted but not infected: ${list(targeted, 'en')}.`);
    zh.push(`遭鎖定但未受感染：${list(targeted, 'zh-TW')}。`);
  }
  if (clean.length > 0) {
    en.push(`No evidence on ${list(clean, 'en')}.`);
    zh.push(`${list(clean, 'zh-TW')} 未發現相關跡象。`);
  }

  const stepsEn: string[] = [];
  const stepsZh: string[] = [];
  for (const h of infected) {
    stepsEn.push(`Isolate ${h} and collect its memory and disk before cleaning it.`);
    stepsZh.push(`隔離 ${h}，並在清除前蒐集其記憶體與磁碟證據。`);
  }
  if (story.source?.type === 'ip') {
    stepsEn.push(`Block ${story.source.label} and search every tenant host for connections to it.`);
    stepsZh.push(`封鎖 ${story.source.label}，並搜尋所有主機與其連線的紀錄。`);
  }
  const users = story.nodes
    .filter((n) => n.type === 'user' && n.attributes?.['wellKnown'] === undefined)
    .map((n) => n.label);
  if (users.length > 0) {
    stepsEn.push(`Check the recent logons of ${list(users.slice(0, 5), 'en')}.`);
    stepsZh.push(`檢查 ${list(users.slice(0, 5), 'zh-TW')} 近期的登入紀錄。`);
  }
  for (const h of targeted) {
    stepsEn.push(`Confirm nothing ran on ${h} after the attempts.`);
    stepsZh.push(`確認 ${h} 在遭嘗試入侵後沒有執行任何可疑程式。`);
  }

  const mitigations: Recommendation[] = [];
  const types = new Set<string>(story.nodes.map((n) => n.type));
  for (const advice of VIGIL_ADVICE) {
    if (advice.needs !== undefined && !types.has(advice.needs)) continue;
    if (advice.unless !== undefined && types.has(advice.unless)) continue;
    const hit = story.techniques.filter((t) =>
      advice.techniques.some((p) => t === p || t.startsWith(`${p}.`)),
    );
    if (hit.length > 0)
      mitigations.push({
        id: advice.id,
        name: advice.name.en,
        how: advice.how.en,
        techniques: hit,
        zh: { name: advice.name['zh-TW'], how: advice.how['zh-TW'] },
      });
  }
  for (const m of mitigationsFor(story.techniques).slice(0, 8)) {
    mitigations.push({
      id: m.mitigation.id,
      name: m.mitigation.name,
      how: m.covers[0]?.how ?? m.mitigation.description,
      techniques: m.covers.map((c) => c.technique.id),
    });
  }
  return {
    text: { en: en.join(' '), 'zh-TW': zh.join('') },
    nextSteps: { en: stepsEn, 'zh-TW': stepsZh },
    mitigations,
  };
}

/** Vigil's own advice in the other language, for a recommendation id (`VIGIL-…`). */
export function vigilAdvice(id: string, lang: Language): { name: string; how: string } | undefined {
  const a = VIGIL_ADVICE.find((x) => x.id === id);
  return a ? { name: a.name[lang], how: a.how[lang] } : undefined;
}
