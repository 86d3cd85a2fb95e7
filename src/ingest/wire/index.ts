/**
 * The protocol-level pieces the server's HTTP receivers use: body decoding, JSON record splitting,
 * records to stored events (entities, ids), Elasticsearch `_bulk` and probes, Splunk HEC. Pure
 * functions of their inputs; nothing here knows about HTTP frameworks.
 */
export { ACCEPTED_CODINGS, decodeBody, decodeBytes, unsupportedCoding } from './body.ts';
export type { DecodeBodyOptions } from './body.ts';
export { MAX_JSON_DEPTH, parseJsonRecords, parseJsonValue } from './json.ts';
export type { JsonRecord, JsonRecordsOptions } from './json.ts';
export {
  MAX_FIELD_BYTES,
  eventFromParsed,
  eventsFromRead,
  recordId,
  toEvent,
  toEvents,
} from './events.ts';
export type { ToEventsOptions, WireRecord } from './events.ts';
export { ENTITY_RULES, deriveEntities } from './entities.ts';
export {
  BULK_ACTIONS,
  ES_HEADERS,
  ES_VERSION,
  bulkItemError,
  bulkRecords,
  bulkResponse,
  esError,
  esLicense,
  esProbe,
  esRootInfo,
  esXpack,
  parseBulk,
} from './bulk.ts';
export type {
  BulkAction,
  BulkItem,
  BulkItemResponse,
  BulkResponse,
  BulkResult,
  EsProbeAnswer,
  EsRootOptions,
  ParseBulkOptions,
} from './bulk.ts';
export { HEC_REPLIES, hecResponse, hecStatus, parseHecEvents, parseHecRaw } from './hec.ts';
export type { HecParse, HecRawQuery, HecReply, HecReplyKind } from './hec.ts';
