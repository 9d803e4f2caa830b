// Broker's JSON text for values and WebSocket v1 messages (spec §3.2–3.3), byte-identical to
// Broker's encoder: `{"@data-type":T,"data":V}`, keys in Broker's order, no whitespace.
//
// Strings that are not valid UTF-8 are written raw, as Broker does; such text cannot be a JS
// string, so every function has a `…Bytes` twin returning the exact bytes. The string variants
// replace invalid bytes with U+FFFD (only for those rare values).
import { Buffer } from 'node:buffer';
import { formatAddress, formatSubnet } from './address.ts';
import { formatPort, formatRealF, formatTimespan, formatTimestamp, quoteJson, quoteJsonBytes } from './json-format.ts';
import type { ByteString, Data, DataType } from './types.ts';

/** `@data-type` names (Broker spells enum_value `enum-value`). */
export const JSON_TYPE_NAMES: Readonly<Record<DataType, string>> = {
  none: 'none',
  boolean: 'boolean',
  count: 'count',
  integer: 'integer',
  real: 'real',
  string: 'string',
  address: 'address',
  subnet: 'subnet',
  port: 'port',
  timestamp: 'timestamp',
  timespan: 'timespan',
  enum_value: 'enum-value',
  set: 'set',
  table: 'table',
  vector: 'vector',
};

/** Accumulates JSON text; raw byte strings split it into parts. */
class JsonText {
  s = '';
  parts: (string | Uint8Array)[] | undefined;

  quoted(v: ByteString): void {
    if (typeof v === 'string') this.s += quoteJson(v);
    else {
      (this.parts ??= []).push(this.s, quoteJsonBytes(v));
      this.s = '';
    }
  }

  text(): string {
    if (!this.parts) return this.s;
    return this.parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('') + this.s;
  }

  bytes(): Uint8Array {
    if (!this.parts) return new Uint8Array(Buffer.from(this.s, 'utf8'));
    const chunks = [...this.parts, this.s].map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
    return new Uint8Array(Buffer.concat(chunks));
  }
}

/** Writes `"@data-type":"T","data":V` (the value object without its braces). */
function writeEmbedded(o: JsonText, v: Data): void {
  switch (v.type) {
    case 'none':
      o.s += '"@data-type":"none","data":{}';
      return;
    case 'boolean':
      o.s += v.value ? '"@data-type":"boolean","data":true' : '"@data-type":"boolean","data":false';
      return;
    case 'count':
      o.s += `"@data-type":"count","data":${v.value}`;
      return;
    case 'integer':
      o.s += `"@data-type":"integer","data":${v.value}`;
      return;
    case 'real':
      o.s += `"@data-type":"real","data":${formatRealF(v.value)}`;
      return;
    case 'string':
      o.s += '"@data-type":"string","data":';
      o.quoted(v.value);
      return;
    case 'address':
      o.s += `"@data-type":"address","data":"${formatAddress(v.value)}"`;
      return;
    case 'subnet':
      o.s += `"@data-type":"subnet","data":"${formatSubnet(v.address, v.length)}"`;
      return;
    case 'port':
      o.s += `"@data-type":"port","data":"${formatPort(v.number, v.protocol)}"`;
      return;
    case 'timestamp':
      o.s += `"@data-type":"timestamp","data":"${formatTimestamp(v.value)}"`;
      return;
    case 'timespan':
      o.s += `"@data-type":"timespan","data":"${formatTimespan(v.value)}"`;
      return;
    case 'enum_value':
      o.s += '"@data-type":"enum-value","data":';
      o.quoted(v.value);
      return;
    case 'vector':
    case 'set': {
      const xs = v.elements;
      o.s += `"@data-type":"${v.type}","data":[`;
      for (let i = 0; i < xs.length; i++) {
        o.s += i === 0 ? '{' : ',{';
        writeEmbedded(o, xs[i]!);
        o.s += '}';
      }
      o.s += ']';
      return;
    }
    case 'table': {
      const xs = v.entries;
      o.s += '"@data-type":"table","data":[';
      for (let i = 0; i < xs.length; i++) {
        const e = xs[i]!;
        o.s += i === 0 ? '{"key":{' : ',{"key":{';
        writeEmbedded(o, e[0]);
        o.s += '},"value":{';
        writeEmbedded(o, e[1]);
        o.s += '}}';
      }
      o.s += ']';
      return;
    }
  }
}

function value(v: Data): JsonText {
  const o = new JsonText();
  o.s = '{';
  writeEmbedded(o, v);
  o.s += '}';
  return o;
}

function dataMessage(topic: ByteString, v: Data): JsonText {
  const o = new JsonText();
  o.s = '{"type":"data-message","topic":';
  o.quoted(topic);
  o.s += ',';
  writeEmbedded(o, v);
  o.s += '}';
  return o;
}

/** `{"@data-type":T,"data":V}` */
export function dataToJson(v: Data): string {
  return value(v).text();
}

export function dataToJsonBytes(v: Data): Uint8Array {
  return value(v).bytes();
}

/** `{"type":"data-message","topic":…,"@data-type":T,"data":V}` */
export function dataMessageToJson(topic: ByteString, v: Data): string {
  return dataMessage(topic, v).text();
}

export function dataMessageToJsonBytes(topic: ByteString, v: Data): Uint8Array {
  return dataMessage(topic, v).bytes();
}

/** The server's answer to the subscription message, e.g. version `2.8.0-dev`. */
export function ackToJson(endpoint: string, version: string): string {
  return `{"type":"ack","endpoint":${quoteJson(endpoint)},"version":${quoteJson(version)}}`;
}

/** `{"type":"error","code":"deserialization_failed","context":"input #3 …"}` */
export function errorToJson(code: string, context: string): string {
  return `{"type":"error","code":${quoteJson(code)},"context":${quoteJson(context)}}`;
}
