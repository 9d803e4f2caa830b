// The legacy type a Broker value gets when no event signature declares one. Atomic types map one to
// one (count -> count, timestamp -> time, ...). For the rest:
// - enum_value: the declared enum that has the name, else an anonymous enum holding just that name
//   (a Bro receiver rebinds by name, so its own numbering still applies);
// - vector: `vector of T` when every element has the same legacy type T, else `vector of any`
//   (never a record or pattern: without a declaration a Broker vector is a vector);
// - set / table: a vector element or key is a multi-index key; all keys must agree on their index
//   types (else `heterogeneous_container`) and may not contain sets, tables or none
//   (`no_legacy_type`: Bro cannot index by them); table values that disagree make `table[...] of any`.
//   An empty set or table gets index type `any`.
// - none: `no_legacy_type` (only a record field or a vector hole can be unset).
import { BASE, typeName, type BroType } from '../../legacy/codec/index.ts';
import type { Data } from '../../modern/data/index.ts';
import { translationError } from './errors.ts';
import type { ValueContext } from './values.ts';

function sameTypes(types: readonly BroType[]): BroType | undefined {
  const first = types[0];
  if (first === undefined) return undefined;
  const name = typeName(first);
  for (let i = 1; i < types.length; i++) if (types[i] !== first && typeName(types[i]!) !== name) return undefined;
  return first;
}

function keyTypes(k: Data, cx: ValueContext, path: string, depth: number): BroType[] {
  const parts = k.type === 'vector' ? k.elements : [k];
  if (k.type === 'vector' && parts.length === 0) throw translationError('no_legacy_type', `${path}: an empty index`, { field: path });
  return parts.map((p, i) => {
    if (p.type === 'none' || p.type === 'set' || p.type === 'table') {
      throw translationError('no_legacy_type', `${path}[${i}]: a legacy index cannot hold a Broker ${p.type}`, { field: path });
    }
    return inferLegacyType(p, cx, path, depth + 1);
  });
}

function indexTypes(keys: readonly Data[], cx: ValueContext, path: string, depth: number): BroType[] {
  if (keys.length === 0) return [BASE.any];
  const first = keyTypes(keys[0]!, cx, `${path}{0}`, depth);
  const sig = first.map(typeName).join(', ');
  for (let i = 1; i < keys.length; i++) {
    const other = keyTypes(keys[i]!, cx, `${path}{${i}}`, depth).map(typeName).join(', ');
    if (other !== sig) {
      throw translationError('heterogeneous_container', `${path}: index types [${sig}] and [${other}] in one container; declare the type`, { field: path });
    }
  }
  return first;
}

export function inferLegacyType(d: Data, cx: ValueContext, path = 'value', depth = 0): BroType {
  if (depth > (cx.maxDepth ?? 64)) throw translationError('depth_exceeded', `${path}: nested too deeply`, { field: path });
  switch (d.type) {
    case 'none':
      throw translationError('no_legacy_type', `${path}: a Broker none has no legacy type`, { field: path });
    case 'boolean':
      return BASE.bool;
    case 'count':
      return BASE.count;
    case 'integer':
      return BASE.int;
    case 'real':
      return BASE.double;
    case 'string':
      return BASE.string;
    case 'address':
      return BASE.addr;
    case 'subnet':
      return BASE.subnet;
    case 'port':
      return BASE.port;
    case 'timestamp':
      return BASE.time;
    case 'timespan':
      return BASE.interval;
    case 'enum_value': {
      if (typeof d.value !== 'string') throw translationError('no_legacy_type', `${path}: enum name is not valid UTF-8`, { field: path });
      return cx.types.enumOfName(d.value) ?? cx.types.adHocEnum(d.value);
    }
    case 'vector': {
      const types = d.elements.filter((e) => e.type !== 'none').map((e, i) => inferLegacyType(e, cx, `${path}[${i}]`, depth + 1));
      return cx.types.vectorOf(sameTypes(types) ?? BASE.any);
    }
    case 'set':
      return cx.types.setOf(indexTypes(d.elements, cx, path, depth));
    case 'table': {
      const indices = indexTypes(
        d.entries.map((e) => e[0]),
        cx,
        path,
        depth,
      );
      const values = d.entries.map(([, v], i) => inferLegacyType(v, cx, `${path}{${i}}`, depth + 1));
      return cx.types.tableOf(indices, sameTypes(values) ?? BASE.any);
    }
  }
}
