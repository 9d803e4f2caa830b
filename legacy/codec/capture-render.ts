import type { DecodedMessage } from '../../src/core/capture/types.ts';
import { capsFlagNames, ID_SCOPES, STATE_OPS } from './constants.ts';
import type { LegacyMessage } from './messages.ts';
import type { SerialBody } from './model.ts';
import { attrNames, typedJson, typedLogJson, typeName } from './plain.ts';
import type { MessageWireInfo } from './stream-decoder.ts';

// One decoded legacy message as a line of `comm-bridge decode` output. Field names follow the
// spec's wording in snake_case; values are typed JSON ({"type": "count", "value": 42}, see plain.ts).
// 64-bit integers stay bigint where they exceed 2^53 (print with stringifyJson).

function hex(n: number, digits: number): string {
  return n.toString(16).padStart(digits, '0');
}

function renderSerial(body: SerialBody): Record<string, unknown> {
  switch (body.kind) {
    case 'event':
      return { kind: 'event', event: body.name, time: body.time, args: body.args.map(typedJson) };
    case 'id': {
      const id = body.id;
      return {
        kind: 'id',
        id: id.name,
        id_type: typeName(id.type),
        value: id.value === null ? null : typedJson(id.value),
        attributes: attrNames(id.attrs),
        scope: ID_SCOPES[id.scope] ?? id.scope,
        is_export: id.isExport,
        is_const: id.isConst !== 0,
      };
    }
    case 'state': {
      const a = body.access;
      return {
        kind: 'state',
        op: STATE_OPS[a.op] ?? a.op,
        opcode: a.op,
        target: a.target,
        op1: typedJson(a.op1),
        op2: a.op2 === null ? null : typedJson(a.op2),
        op3: a.op3 === null ? null : typedJson(a.op3),
      };
    }
  }
}

function renderFields(m: LegacyMessage): Record<string, unknown> {
  switch (m.type) {
    case 'VERSION':
      return { protocol: m.protocol, cache_size: m.cacheSize, data_format: m.dataFormat, runtime: m.runtime, class: m.class ?? null };
    case 'CAPS':
      return { flags: m.flags, flag_names: capsFlagNames(m.flags), reserved: m.reserved };
    case 'REQUEST_EVENTS':
      return { events: m.events };
    case 'CAPTURE_FILTER':
      return { filter: m.filter };
    case 'REQUEST_SYNC':
      return { authoritative: m.authoritative };
    case 'SYNC_POINT':
      return { point: m.point };
    case 'PING':
    case 'PONG':
      return { seq: m.seq, time1: m.time1, time2: m.time2, time3: m.time3, pad: hex(m.pad, 8), size: m.size };
    case 'REMOTE_PRINT':
      return { count: m.records.length, records: m.records };
    case 'LOG_CREATE_WRITER':
      return {
        stream: m.stream,
        writer: m.writer,
        path: m.path,
        rotation_base: m.rotationBase,
        rotation_interval: m.rotationInterval,
        network_time: m.networkTime,
        config: m.config,
        fields: m.fields.map((f) => ({
          name: f.name,
          type: f.type,
          subtype: f.subtype,
          optional: f.optional,
          ...(f.secondaryName !== undefined ? { secondary_name: f.secondaryName } : {}),
        })),
      };
    case 'LOG_WRITE':
      return {
        entries: m.entries.map((e) => ({ stream: e.stream, writer: e.writer, path: e.path, values: e.values.map(typedLogJson) })),
      };
    case 'SERIAL':
      return renderSerial(m.body);
    case 'PHASE_DONE':
    case 'COMPRESS':
    case 'REQUEST_LOGS':
      return {};
  }
}

export function renderMessage(m: LegacyMessage, info: MessageWireInfo): DecodedMessage {
  const out: DecodedMessage = { type: m.type, ...renderFields(m) };
  if (m.headerPad !== undefined) out['header_pad'] = hex(m.headerPad, 6);
  if (info.argInflated) out['zlib'] = { compressed: info.argChunkLength, inflated: info.argLength };
  return out;
}
