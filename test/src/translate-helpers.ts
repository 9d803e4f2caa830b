// Shared pieces of the translator tests: the FX type declarations of the fixture scripts
// (fixtures/legacy/README.md), the decoded legacy events of a capture, the Broker data messages of
// a native capture, and comparisons that ignore what the translation legitimately changes.
import { typedJson, type BroVal, type SerialEvent } from '../../legacy/codec/index.ts';
import { decodeEnvelope } from '../../modern/native/index.ts';
import { encodeData, type Data } from '../../modern/data/index.ts';
import { toHex } from '../../src/core/json.ts';
import { typeRegistryFromConfig, type TypesConfigInput } from '../../src/translate/type-config.ts';
import type { ValueContext } from '../../src/translate/values.ts';
import { replay } from '../legacy/helpers.ts';
import { payloadOf, referenceFrames } from '../modern/broker-fixtures.ts';

/** The fx-types script's declarations, as an operator would put them in the config. */
export const FX_TYPES: TypesConfigInput = {
  records: {
    'FX::Inner': ['a: count', 'b: string &optional'],
    'FX::Outer': [
      'name: string',
      'inner: FX::Inner',
      'tags: set[string]',
      { name: 'nums', type: 'vector of count' },
      'stamp: time',
      'maybe: addr &optional',
    ],
  },
  enums: { 'FX::Color': ['RED', 'GREEN', 'BLUE'] },
  events: {
    'FX::fx_bool': ['x: bool'],
    'FX::fx_int': ['int'],
    'FX::fx_count': ['count'],
    'FX::fx_double': ['double'],
    'FX::fx_time': ['time'],
    'FX::fx_interval': ['interval'],
    'FX::fx_string': ['string'],
    'FX::fx_port': ['a: port', 'b: port', 'c: port'],
    'FX::fx_addr': ['a: addr', 'b: addr'],
    'FX::fx_subnet': ['a: subnet', 'b: subnet'],
    'FX::fx_enum': ['FX::Color'],
    'FX::fx_record': ['record FX::Inner'],
    'FX::fx_outer': ['FX::Outer'],
    'FX::fx_table': ['table[string] of count'],
    'FX::fx_set': ['set[count]'],
    'FX::fx_table2': ['table[addr, port] of string'],
    'FX::fx_vector': ['vector of string'],
    'FX::fx_pattern': ['pattern'],
    'FX::fx_multi': ['a: FX::Inner', 'b: FX::Inner', 'c: enum FX::Color', 'd: FX::Color'],
    'FX::fx_done': ['n: count'],
    'FX::fxr_ack': ['what: string', 'n: count'],
  },
};

export function fxContext(): ValueContext {
  return { types: typeRegistryFromConfig(FX_TYPES) };
}

/** Every SERIAL event of a legacy capture, with its direction. */
export function legacyEvents(capture: string): { dir: string; event: SerialEvent }[] {
  const out: { dir: string; event: SerialEvent }[] = [];
  for (const r of replay(capture)) if (r.msg.type === 'SERIAL' && r.msg.body.kind === 'event') out.push({ dir: r.dir, event: r.msg.body });
  return out;
}

/** Every data message of a native Broker capture: topic and value. */
export function brokerValues(capture: string): { topic: string; value: Data }[] {
  const out: { topic: string; value: Data }[] = [];
  for (const ref of referenceFrames(capture)) {
    if (ref.msg !== 'data') continue;
    const env = decodeEnvelope(payloadOf(ref));
    if (env.type === 'data') out.push({ topic: env.topic, value: env.value });
  }
  return out;
}

export function hex(d: Data): string {
  return toHex(encodeData(d));
}

type Canon = unknown;

function canonJson(j: unknown): Canon {
  if (Array.isArray(j)) return j.map(canonJson);
  if (j === null || typeof j !== 'object') return j;
  const o = { ...(j as Record<string, unknown>) };
  // Types are re-derived from declarations: an anonymous record the sender built may come back as
  // the declared named record. Field names and values must still agree.
  delete o['name'];
  for (const k of Object.keys(o)) o[k] = canonJson(o[k]);
  if ((o['type'] === 'set' || o['type'] === 'table') && Array.isArray(o['value'])) {
    // Container order is the sender's hash order (legacy) or Broker's sort order: compare as sets.
    o['value'] = (o['value'] as unknown[]).map((x) => JSON.stringify(x)).sort();
  }
  return o;
}

/** A legacy value's content: kinds, values, field names, enum names and numbers (not type names or container order). */
export function canon(v: BroVal | null): Canon {
  return v === null ? null : canonJson(JSON.parse(JSON.stringify(typedJson(v), (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))));
}
