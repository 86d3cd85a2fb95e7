/** Golden tests: the printed IR of a few SigmaHQ rules, per route, reviewed as text. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printRule } from './ir.ts';
import { loadRules } from './load.ts';
import { parseLogsourceMap } from './logsource.ts';

const SIGMA = new URL('../../../../shared/data/sigma/', import.meta.url).pathname;
const CONFIG = new URL('../../../config/logsources.yml', import.meta.url).pathname;
const map = parseLogsourceMap(readFileSync(CONFIG, 'utf8'), 'config/logsources.yml');

function printed(path: string): string {
  if (!map.ok) throw new Error('logsource map does not load');
  const r = loadRules([{ file: path, text: readFileSync(SIGMA + path, 'utf8') }], {
    logsources: map.value,
  });
  expect(r.issues).toEqual([]);
  const [rule] = r.rules;
  if (!rule) throw new Error('no rule');
  return printRule(rule);
}

describe('printed IR', () => {
  it('windash, and a closed route that lacks a field is skipped', () => {
    expect(printed('rules/windows/process_creation/proc_creation_win_whoami_all_execution.yml'))
      .toMatchInlineSnapshot(`
      "rule c248c896-e412-4279-8c15-1c558067b6fa "Enumerate All Information With Whoami.EXE" level=medium
      logsource product=windows category=process_creation service=-
      route windows/process_creation/sysmon where Channel=Microsoft-Windows-Sysmon/Operational EventID=1
        and
          or
            Image: suffix "\\\\whoami.exe"
            OriginalFileName: eq "whoami.exe"
          CommandLine: contains " -all" | contains " /all" | contains " –all" | contains " —all" | contains " ―all"
      "
    `);
  });

  it('contains|all, field names and values respelled on Security 4688', () => {
    expect(printed('rules/windows/process_creation/proc_creation_win_uac_bypass_dismhost.yml'))
      .toMatchInlineSnapshot(`
        "rule 853e74f9-9392-4935-ad3b-2e8c040dae86 "UAC Bypass Using DismHost" level=high
        logsource product=windows category=process_creation service=-
        route windows/process_creation/sysmon where Channel=Microsoft-Windows-Sysmon/Operational EventID=1
          and
            ParentImage: contains "c:\\\\users\\\\"
            ParentImage: contains "\\\\appdata\\\\local\\\\temp\\\\"
            ParentImage: contains "\\\\dismhost.exe"
            IntegrityLevel: eq "high" | eq "system" | eq "s-1-16-16384" | eq "s-1-16-12288"
        route windows/process_creation/security-4688 where Channel=Security EventID=4688
          and
            ParentProcessName: contains "c:\\\\users\\\\"
            ParentProcessName: contains "\\\\appdata\\\\local\\\\temp\\\\"
            ParentProcessName: contains "\\\\dismhost.exe"
            MandatoryLabel: eq "s-1-16-12288" | eq "s-1-16-16384"
        "
      `);
  });

  it('keywords', () => {
    expect(printed('rules/windows/builtin/win_alert_mimikatz_keywords.yml')).toMatchInlineSnapshot(`
      "rule 06d71506-7beb-4f22-8888-e2e5e2ca7fd8 "Mimikatz Use" level=high
      logsource product=windows category=- service=-
      route windows/any
        and
          keyword: contains "dpapi::masterkey" | contains "eo.oe.kiwi" | contains "event::clear" | contains "event::drop" | contains "gentilkiwi.com" | contains "kerberos::golden" | contains "kerberos::ptc" | contains "kerberos::ptt" | contains "kerberos::tgt" | contains "kiwi legit printer" | contains "lsadump::" | contains "mimidrv.sys" | contains "\\\\mimilib.dll" | contains "misc::printnightmare" | contains "misc::shadowcopies" | contains "misc::skeleton" | contains "privilege::backup" | contains "privilege::debug" | contains "privilege::driver" | contains "sekurlsa::"
          not
            EventID: num 15
      "
    `);
  });
});
