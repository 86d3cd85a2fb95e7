/** The correlate stage's public surface: the MITRE ATT&CK table incidents are described with, entities and process trees. */
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
export {
  ENTITY_ROLES,
  ENTITY_TYPES,
  entitiesOfEvents,
  extractEntities,
  normalizeDomain,
} from './entities.ts';
export type { Entity, EntityRole, EntityType, ExtractOptions, PidResolver } from './entities.ts';
export { classifyIp } from './ip.ts';
export type { IpInfo, IpRange } from './ip.ts';
export { hostOf, processEntityId, processFacts } from './process-facts.ts';
export type { ProcessFacts, ProcessRef, ProcessSighting } from './process-facts.ts';
export { MAX_ANCESTRY, ProcessTree } from './process-tree.ts';
export type { ProcessNode } from './process-tree.ts';
export { DEFAULT_POLICY, groupAlerts } from './grouping.ts';
export type {
  GroupableAlert,
  GroupingPolicy,
  IncidentGroup,
  LinkKind,
  RuleGrouping,
} from './grouping.ts';
export { ASSET_WEIGHTS, scoreIncident } from './score.ts';
export type { Score, ScoredAlert, ScoreInput, ScoreTerm } from './score.ts';
export { buildStory } from './story.ts';
export type { EdgeType, HostState, Story, StoryAlert, StoryEdge } from './story.ts';
export { narrate, vigilAdvice } from './narrative.ts';
export type { Language, Narrative, Recommendation } from './narrative.ts';
