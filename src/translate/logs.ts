// Legacy remote logging (REQUEST_LOGS, LOG_CREATE_WRITER, LOG_WRITE) towards modern Zeek:
// - Broker: each writer becomes a Zeek LogCreate and each entry a LogWrite on `zeek/logs/<stream>`
//   (spec broker-wire §2.4), which a Zeek logger or manager subscribed to zeek/logs/ writes out;
// - local: the same records as Zeek TSV (or JSON) logs through src/core/zeeklog.ts.
// Legacy stream and writer ids are enum numbers local to the sender; Zeek wants enum names, so the
// config maps paths to stream names (`fxlog` -> `FXLOG::LOG`) and writer numbers to writer names.
import { z } from 'zod';
import type { LogCreateWriter, LogEntry, LogField, LogValue, TypeTagName } from '../../legacy/codec/index.ts';
import { NONE, table as brokerTable, type Data, type VectorData } from '../../modern/data/index.ts';
import type { ZeekColumn, ZeekLogWriter, ZeekRow, ZeekType, ZeekValue } from '../core/zeeklog.ts';
import type { TranslationDrops } from './drops.ts';
import { isTranslationError, translationError } from './errors.ts';
import { logRecordString, zeekTypeTag } from './log-serial.ts';
import type { Publication } from './router.ts';

const enumName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/, 'not a Zeek enum name');

export const logsConfigSchema = z.strictObject({
  /** Zeek's Broker::default_log_topic_prefix. */
  topic_prefix: z.string().default('zeek/logs/'),
  /** Legacy log path -> Zeek Log::ID name (`fxlog` -> `FXLOG::LOG`). */
  streams: z.record(z.string().min(1), enumName).default({}),
  /** Paths not in `streams`: `guess` names them `<Path>::LOG` (conn -> Conn::LOG), `drop` drops them. */
  unknown_streams: z.enum(['guess', 'drop']).default('guess'),
  /** Legacy Log::Writer number -> Zeek Log::Writer name. */
  writers: z.record(z.string().regex(/^\d+$/, 'a writer number'), enumName).default({ '1': 'Log::WRITER_ASCII' }),
  default_writer: enumName.default('Log::WRITER_ASCII'),
  /** Publish LogCreate / LogWrite to Broker. */
  publish: z.boolean().default(true),
  /** Also write the logs locally. */
  local: z.boolean().default(true),
});

export type LogsConfigInput = z.input<typeof logsConfigSchema>;
export type LogsConfig = z.output<typeof logsConfigSchema>;

const SCALAR: Partial<Record<TypeTagName, ZeekType>> = {
  bool: 'bool',
  int: 'int',
  count: 'count',
  counter: 'count',
  double: 'double',
  time: 'time',
  interval: 'interval',
  string: 'string',
  file: 'string',
  func: 'string',
  enum: 'enum',
  port: 'port',
  addr: 'addr',
  subnet: 'subnet',
};

/** The Zeek log column type of a legacy log field (a table is a set: logs have no other tables). */
export function zeekColumnType(f: LogField): ZeekType {
  if (f.type === 'table' || f.type === 'vector') {
    const inner = SCALAR[f.subtype];
    if (inner !== undefined) return `${f.type === 'table' ? 'set' : 'vector'}[${inner}]` as ZeekType;
  } else {
    const t = SCALAR[f.type];
    if (t !== undefined) return t;
  }
  throw translationError('unsupported_type', `log field ${f.name}: ${f.type}${f.subtype === 'void' ? '' : `[${f.subtype}]`} has no Zeek log column type`, { field: f.name });
}

export function zeekColumns(fields: readonly LogField[]): ZeekColumn[] {
  return fields.map((f) => ({ name: f.name, type: zeekColumnType(f) }));
}

function cell(v: LogValue): ZeekValue {
  if (v.value === null) return null;
  if (v.type === 'port') return (v.value as { port: number }).port;
  if (Array.isArray(v.value)) return v.value.map(cell);
  if (v.raw !== undefined) return v.raw;
  return v.value as ZeekValue;
}

/** A legacy log entry as a zeeklog row. */
export function zeekRow(fields: readonly LogField[], values: readonly LogValue[]): ZeekRow {
  const row: Record<string, ZeekValue> = {};
  fields.forEach((f, i) => (row[f.name] = cell(values[i]!)));
  return row;
}

function ucfirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Zeek's threading::Field as Broker data: [name, secondary name or none, type, subtype, optional]. */
export function fieldToData(f: LogField): VectorData {
  return {
    type: 'vector',
    elements: [
      { type: 'string', value: f.name },
      f.secondaryName === undefined ? NONE : { type: 'string', value: f.secondaryName },
      { type: 'count', value: zeekTypeTag(f.type) },
      { type: 'count', value: zeekTypeTag(f.subtype) },
      { type: 'boolean', value: f.optional },
    ],
  };
}

/** Zeek's WriterBackend::WriterInfo as Broker data: [path, rotation base, interval, network time, config, post-processor]. */
export function writerInfoToData(m: LogCreateWriter): VectorData {
  return {
    type: 'vector',
    elements: [
      { type: 'string', value: m.path },
      { type: 'real', value: m.rotationBase },
      { type: 'real', value: m.rotationInterval },
      { type: 'real', value: m.networkTime },
      brokerTable(m.config.map(([k, v]) => [{ type: 'string', value: k }, { type: 'string', value: v }] as const)),
      { type: 'string', value: '' },
    ],
  };
}

function envelope(type: number, content: Data[]): VectorData {
  return { type: 'vector', elements: [{ type: 'count', value: 1 }, { type: 'count', value: type }, { type: 'vector', elements: content }] };
}

export interface LogNames {
  stream: string;
  writer: string;
}

/** Opens a local log for a path; the daemon decides file names and format. */
export type LocalLogOpener = (path: string, columns: readonly ZeekColumn[]) => ZeekLogWriter;

interface Writer {
  readonly create: LogCreateWriter;
  readonly names: LogNames;
  readonly columns: ZeekColumn[];
  readonly publication: Publication;
}

export interface LogTranslatorOptions {
  config?: LogsConfigInput;
  drops: TranslationDrops;
  /** Local log writers; none are written without it. */
  openLocal?: LocalLogOpener;
}

/**
 * Keeps the writers each legacy peer created and turns its log traffic into Broker publications
 * and local log rows. Entries for a writer never created, or not matching its fields, are dropped
 * and counted. Local logs are per path: the first writer's columns define the file.
 */
export class LegacyLogTranslator {
  readonly config: LogsConfig;
  private readonly writers = new Map<string, Writer>();
  private readonly local = new Map<string, { writer: ZeekLogWriter; signature: string }>();

  constructor(private readonly options: LogTranslatorOptions) {
    this.config = logsConfigSchema.parse(options.config ?? {});
  }

  /** Zeek enum names for a legacy writer, or a TranslationError when the stream may not be guessed. */
  names(path: string, writer: number): LogNames {
    let stream = this.config.streams[path];
    if (stream === undefined) {
      if (this.config.unknown_streams === 'drop') throw translationError('unknown_log_stream', `no Log::ID configured for log path ${path}`, { field: path });
      stream = `${ucfirst(path.replace(/[^A-Za-z0-9_]/g, '_'))}::LOG`;
    }
    return { stream, writer: this.config.writers[String(writer)] ?? this.config.default_writer };
  }

  topic(stream: string): string {
    return `${this.config.topic_prefix}${stream}`;
  }

  private key(peer: string, stream: number, writer: number, path: string): string {
    return `${peer}\u0000${stream}\u0000${writer}\u0000${path}`;
  }

  private fail(what: string, err: unknown, peer: string): [] {
    if (!isTranslationError(err)) throw err;
    this.options.drops.record('legacy_to_broker', what, err, peer);
    return [];
  }

  /** LOG_CREATE_WRITER from `peer`: the LogCreate to publish (empty when dropped or not publishing). */
  create(peer: string, m: LogCreateWriter): Publication[] {
    let w: Writer;
    try {
      const names = this.names(m.path, m.writer);
      const columns = zeekColumns(m.fields);
      const message = envelope(2, [
        { type: 'enum_value', value: names.stream },
        { type: 'enum_value', value: names.writer },
        writerInfoToData(m),
        { type: 'vector', elements: m.fields.map(fieldToData) },
      ]);
      w = { create: m, names, columns, publication: { topic: this.topic(names.stream), message } };
    } catch (err) {
      return this.fail(m.path, err, peer);
    }
    this.writers.set(this.key(peer, m.stream, m.writer, m.path), w);
    if (this.config.local && this.options.openLocal !== undefined && !this.local.has(m.path)) {
      this.local.set(m.path, { writer: this.options.openLocal(m.path, w.columns), signature: JSON.stringify(w.columns) });
    }
    return this.config.publish ? [w.publication] : [];
  }

  /** LOG_WRITE from `peer`: one LogWrite per entry; rows go to the local logs. */
  write(peer: string, entries: readonly LogEntry[]): Publication[] {
    const out: Publication[] = [];
    for (const e of entries) {
      const w = this.writers.get(this.key(peer, e.stream, e.writer, e.path));
      try {
        if (w === undefined) throw translationError('unknown_log_stream', `log write to ${e.path} before its LOG_CREATE_WRITER`, { field: e.path });
        const fields = w.create.fields;
        if (e.values.length !== fields.length) {
          throw translationError('arity_mismatch', `${e.path}: ${e.values.length} values for ${fields.length} fields`, { field: e.path });
        }
        fields.forEach((f, i) => {
          const t = e.values[i]!.type;
          if (t !== f.type) throw translationError('type_mismatch', `${e.path}.${f.name}: ${t} value in a ${f.type} field`, { field: `${e.path}.${f.name}` });
        });
        if (this.config.publish) {
          const message = envelope(3, [
            { type: 'enum_value', value: w.names.stream },
            { type: 'enum_value', value: w.names.writer },
            { type: 'string', value: e.path },
            { type: 'string', value: logRecordString(e.values) },
          ]);
          out.push({ topic: w.publication.topic, message });
        }
        const local = this.local.get(e.path);
        if (local !== undefined) {
          if (local.signature !== JSON.stringify(w.columns)) {
            throw translationError('type_mismatch', `${e.path}: columns differ from the local log's (first writer wins)`, { field: e.path });
          }
          local.writer.write(zeekRow(fields, e.values));
        }
      } catch (err) {
        this.fail(e.path, err, peer);
      }
    }
    return out;
  }

  /** Every known LogCreate again, for a Broker peer that just arrived (Zeek's SendAllWritersTo). */
  creates(): Publication[] {
    const seen = new Set<string>();
    const out: Publication[] = [];
    for (const w of this.writers.values()) {
      const k = `${w.names.stream}\u0000${w.names.writer}\u0000${w.create.path}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(w.publication);
    }
    return out;
  }

  /** A peer went away: forget its writers (local logs stay open). */
  forgetPeer(peer: string): void {
    for (const k of [...this.writers.keys()]) if (k.startsWith(`${peer}\u0000`)) this.writers.delete(k);
  }

  /** Closes the local logs (#close line). */
  close(): void {
    for (const l of this.local.values()) l.writer.close();
    this.local.clear();
  }
}
