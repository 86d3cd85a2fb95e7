/** The correlate stage's public surface: for now, the MITRE ATT&CK table incidents are described with. */
export {
  ATTACK_TABLE_FORMAT,
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
} from './attack.ts';
export type {
  AttackTableData,
  Mitigation,
  MitigationAdvice,
  MitigationLink,
  Tactic,
  Technique,
} from './attack.ts';
