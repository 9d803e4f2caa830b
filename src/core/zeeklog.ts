// Zeek log writers: the ASCII (TSV) format exactly as Zeek's Ascii writer produces it — header
// block, escaping, unset/empty markers, #close — so zeek-cut and every Zeek log tool read our
// communication.log / cluster.log / broker.log; and the JSON-lines variant (LogAscii::use_json).
import { BridgeError } from './errors.ts';
import { normalizeIp } from './capture/ip.ts';
import { zeekDoubleText, zeekJsonNumber, zeekTimeText } from './zeeklog-numbers.ts';

export type ZeekLogErrorCode = 'log_value_invalid' | 'log_schema_invalid';

export type ZeekScalarType = 'time' | 'interval' | 'string' | 'enum' | 'addr' | 'subnet' | 'port' | 'count' | 'int' | 'double' | 'bool';
export type ZeekType = ZeekScalarType | `set[${ZeekScalarType}]` | `vector[${ZeekScalarType}]`;

export interface ZeekColumn {
  /** Field name as Zeek prints it, nested record fields flattened with dots (`id.orig_h`). */
  name: string;
  type: ZeekType;
}

/**
 * One value: time/interval/double as seconds (number; time also Date), count/int as number or
 * bigint, port as number (or "80/tcp"), addr/subnet as text, string/enum as text or raw bytes,
 * bool, and arrays for set/vector. `undefined`/`null` is unset.
 */
export type ZeekValue = string | number | bigint | boolean | Date | Uint8Array | null | undefined | readonly ZeekValue[];
export type ZeekRow = Readonly<Record<string, ZeekValue>>;

export interface ZeekLogOptions {
  /** The log's path (`conn`, `communication`, ...). */
  path: string;
  columns: readonly ZeekColumn[];
  /** Wall clock for #open/#close, ms since the epoch. */
  now?: () => number;
  /** Zeek stamps #open/#close in local time; 'utc' makes output independent of TZ. */
  timezone?: 'local' | 'utc';
  /** LogAscii::enable_utf_8: keep valid UTF-8 sequences instead of escaping every byte >= 0x7f. */
  utf8?: boolean;
  separator?: string;
  setSeparator?: string;
  emptyField?: string;
  unsetField?: string;
}

function fail(message: string, field?: string): never {
  throw new BridgeError<ZeekLogErrorCode>('log_value_invalid', message, field !== undefined ? { field } : {});
}

function splitType(t: ZeekType): { container: 'set' | 'vector' | undefined; scalar: ZeekScalarType } {
  const m = /^(set|vector)\[(\w+)\]$/.exec(t);
  return m ? { container: m[1] as 'set' | 'vector', scalar: m[2] as ZeekScalarType } : { container: undefined, scalar: t as ZeekScalarType };
}

const SCALARS = new Set<string>(['time', 'interval', 'string', 'enum', 'addr', 'subnet', 'port', 'count', 'int', 'double', 'bool']);

function checkSchema(columns: readonly ZeekColumn[]): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (!SCALARS.has(splitType(c.type).scalar)) throw new BridgeError<ZeekLogErrorCode>('log_schema_invalid', `column ${c.name}: unknown type ${c.type}`, { field: c.name });
    if (seen.has(c.name) || !/^[A-Za-z_][\w.]*$/.test(c.name)) throw new BridgeError<ZeekLogErrorCode>('log_schema_invalid', `column name ${c.name} is invalid or repeated`, { field: c.name });
    seen.add(c.name);
  }
}

const encoder = new TextEncoder();
const HEX = '0123456789abcdef';
const hexByte = (b: number) => `\\x${HEX[b >> 4]}${HEX[b & 15]}`;

/** Length of a valid UTF-8 multi-byte sequence at i, or 0. */
function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  if ((c === 0xe0 && b[i + 1]! < 0xa0) || (c === 0xed && b[i + 1]! > 0x9f) || (c === 0xf0 && b[i + 1]! < 0x90) || (c === 0xf4 && b[i + 1]! > 0x8f)) return 0;
  return n;
}

function numberText(v: ZeekValue, integer: 'count' | 'int', field: string): string {
  if (typeof v === 'bigint') {
    if (integer === 'count' && (v < 0n || v > 0xffff_ffff_ffff_ffffn)) fail(`${field}: count ${v} out of range`, field);
    if (integer === 'int' && (v < -(2n ** 63n) || v >= 2n ** 63n)) fail(`${field}: int ${v} out of range`, field);
    return v.toString();
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || (integer === 'count' && v < 0)) fail(`${field}: expected ${integer}, got ${String(v)}`, field);
  return String(v);
}

function secondsOf(v: ZeekValue, field: string): number {
  if (v instanceof Date) return v.getTime() / 1000;
  if (typeof v !== 'number') fail(`${field}: expected seconds, got ${typeof v}`, field);
  return v;
}

function portNumber(v: ZeekValue, field: string): string {
  const n = typeof v === 'string' ? Number(/^(\d+)(\/\w+|\/\?)?$/.exec(v)?.[1] ?? NaN) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) fail(`${field}: invalid port ${String(v)}`, field);
  return String(n);
}

function addrText(v: ZeekValue, field: string): string {
  const n = typeof v === 'string' ? normalizeIp(v) : undefined;
  return n ?? fail(`${field}: invalid address ${String(v)}`, field);
}

function subnetText(v: ZeekValue, field: string): string {
  const m = typeof v === 'string' ? /^(.+)\/(\d{1,3})$/.exec(v) : null;
  const addr = m ? normalizeIp(m[1]!) : undefined;
  const len = m ? Number(m[2]) : NaN;
  if (!addr || len > (addr.includes(':') ? 128 : 32)) fail(`${field}: invalid subnet ${String(v)}`, field);
  return `${addr}/${len}`;
}

/** Text of a scalar before escaping; strings come back as bytes so escaping can work bytewise. */
function scalarText(type: ZeekScalarType, v: ZeekValue, field: string): string | Uint8Array {
  switch (type) {
    case 'time':
    case 'interval':
      return zeekTimeText(secondsOf(v, field));
    case 'double':
      return zeekDoubleText(secondsOf(v, field));
    case 'count':
    case 'int':
      return numberText(v, type, field);
    case 'bool':
      if (typeof v !== 'boolean') fail(`${field}: expected bool`, field);
      return v ? 'T' : 'F';
    case 'port':
      return portNumber(v, field);
    case 'addr':
      return addrText(v, field);
    case 'subnet':
      return subnetText(v, field);
    case 'string':
    case 'enum':
      if (typeof v === 'string') return encoder.encode(v);
      if (v instanceof Uint8Array) return v;
      return fail(`${field}: expected a string`, field);
  }
}

/** What both formats offer; `zeekLogWriter` picks one the way LogAscii::use_json does. */
export interface ZeekLogWriter {
  write(row: ZeekRow): void;
  close(): void;
}

export function zeekLogWriter(format: 'ascii' | 'json', sink: (text: string) => void, options: ZeekLogOptions): ZeekLogWriter {
  return format === 'json' ? new ZeekJsonWriter(sink, options) : new ZeekAsciiWriter(sink, options);
}

/** Writes Zeek ASCII logs. The header is written by the constructor, `#close` by close(). */
export class ZeekAsciiWriter implements ZeekLogWriter {
  private readonly sep: string;
  private readonly setSep: string;
  private readonly empty: string;
  private readonly unset: string;
  private readonly types: { container: 'set' | 'vector' | undefined; scalar: ZeekScalarType }[];
  private closed = false;

  constructor(
    private readonly sink: (text: string) => void,
    private readonly options: ZeekLogOptions,
  ) {
    checkSchema(options.columns);
    this.sep = options.separator ?? '\t';
    this.setSep = options.setSeparator ?? ',';
    this.empty = options.emptyField ?? '(empty)';
    this.unset = options.unsetField ?? '-';
    this.types = options.columns.map((c) => splitType(c.type));
    const sepEscaped = [...encoder.encode(this.sep)].map(hexByte).join('');
    const s = this.sep;
    this.sink(
      `#separator ${sepEscaped}\n#set_separator${s}${this.setSep}\n#empty_field${s}${this.empty}\n#unset_field${s}${this.unset}\n` +
        `#path${s}${options.path}\n#open${s}${this.stamp()}\n` +
        `#fields${s}${options.columns.map((c) => c.name).join(s)}\n#types${s}${options.columns.map((c) => c.type).join(s)}\n`,
    );
  }

  private stamp(): string {
    const d = new Date(this.options.now?.() ?? Date.now());
    const utc = this.options.timezone === 'utc';
    const parts = utc
      ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
      : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
    return parts.map((n, i) => String(n).padStart(i === 0 ? 4 : 2, '0')).join('-');
  }

  /** One row; columns missing from `row` (or null/undefined) are written as unset. */
  write(row: ZeekRow): void {
    if (this.closed) fail('log is closed');
    const cells = this.options.columns.map((c, i) => this.cell(this.types[i]!, row[c.name], c.name));
    this.sink(cells.join(this.sep) + '\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink(`#close${this.sep}${this.stamp()}\n`);
  }

  private cell(t: { container: 'set' | 'vector' | undefined; scalar: ZeekScalarType }, v: ZeekValue, field: string): string {
    if (v === undefined || v === null) return this.unset;
    if (!t.container) return this.scalar(t.scalar, v, field, false);
    if (!Array.isArray(v)) fail(`${field}: expected an array for ${t.container}`, field);
    const items = v as readonly ZeekValue[];
    if (items.length === 0) return this.empty;
    return items.map((x) => (x === undefined || x === null ? this.unset : this.scalar(t.scalar, x, field, true))).join(this.setSep);
  }

  private scalar(type: ZeekScalarType, v: ZeekValue, field: string, inContainer: boolean): string {
    const text = scalarText(type, v, field);
    if (typeof text === 'string') return text;
    if (text.length === 0) return this.empty;
    const plain = Buffer.from(text).toString('latin1');
    // A string that would read back as the unset/empty marker gets its first byte escaped.
    if (plain === this.unset || plain === this.empty) return hexByte(text[0]!) + this.escape(text.subarray(1), inContainer);
    return this.escape(text, inContainer);
  }

  private escape(b: Uint8Array, inContainer: boolean): string {
    const sepCode = this.sep.length === 1 ? this.sep.charCodeAt(0) : -1;
    const setCode = inContainer && this.setSep.length === 1 ? this.setSep.charCodeAt(0) : -1;
    let out = '';
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (c >= 0x20 && c < 0x7f && c !== 0x5c && c !== sepCode && c !== setCode) {
        out += String.fromCharCode(c);
        continue;
      }
      const n = this.options.utf8 && c >= 0x80 ? utf8Length(b, i) : 0;
      if (n > 0) {
        out += Buffer.from(b.subarray(i, i + n)).toString('utf8');
        i += n - 1;
      } else out += hexByte(c);
    }
    return out;
  }
}

/** Writes Zeek JSON logs: one object per line, fields in column order, unset fields omitted. */
export class ZeekJsonWriter implements ZeekLogWriter {
  private readonly types: { container: 'set' | 'vector' | undefined; scalar: ZeekScalarType }[];

  constructor(
    private readonly sink: (text: string) => void,
    private readonly options: Pick<ZeekLogOptions, 'columns'>,
  ) {
    checkSchema(options.columns);
    this.types = options.columns.map((c) => splitType(c.type));
  }

  write(row: ZeekRow): void {
    const parts: string[] = [];
    this.options.columns.forEach((c, i) => {
      const v = row[c.name];
      if (v === undefined || v === null) return;
      const t = this.types[i]!;
      let json: string;
      if (t.container) {
        if (!Array.isArray(v)) fail(`${c.name}: expected an array for ${t.container}`, c.name);
        json = `[${(v as readonly ZeekValue[]).map((x) => (x === undefined || x === null ? 'null' : jsonScalar(t.scalar, x, c.name))).join(',')}]`;
      } else json = jsonScalar(t.scalar, v, c.name);
      parts.push(`${JSON.stringify(c.name)}:${json}`);
    });
    this.sink(`{${parts.join(',')}}\n`);
  }

  close(): void {}
}

function jsonScalar(type: ZeekScalarType, v: ZeekValue, field: string): string {
  switch (type) {
    case 'time':
    case 'interval':
    case 'double':
      return zeekJsonNumber(secondsOf(v, field));
    case 'count':
    case 'int':
    case 'port':
    case 'bool': {
      const t = scalarText(type, v, field) as string;
      return type === 'bool' ? (t === 'T' ? 'true' : 'false') : t;
    }
    default: {
      const t = scalarText(type, v, field);
      return JSON.stringify(typeof t === 'string' ? t : jsonText(t));
    }
  }
}

/** Zeek's JSON strings: valid UTF-8 kept; invalid bytes and rare control bytes as the text \xNN. */
function jsonText(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x80) {
      out += c < 0x20 && c !== 0x08 && c !== 0x0c && c !== 0x0a && c !== 0x0d && c !== 0x09 ? hexByte(c) : String.fromCharCode(c);
      continue;
    }
    const n = utf8Length(b, i);
    if (n === 0) out += hexByte(c);
    else {
      out += Buffer.from(b.subarray(i, i + n)).toString('utf8');
      i += n - 1;
    }
  }
  return out;
}
