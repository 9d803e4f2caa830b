// One entry point for every capture format: the format is sniffed from the content (pcap and
// pcapng magic numbers, a JSON object for transcripts), never trusted from the file name.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Capture } from './types.ts';
import { captureError, captureLimits, CaptureError, type CaptureLimits } from './errors.ts';
import { looksLikeTranscript, readTranscript } from './transcript.ts';
import { readPacketFile, sniffPacketFile } from './pcap-file.ts';
import { decodeFrame, SUPPORTED_LINK_TYPES, type SkipReason } from './packet.ts';
import { TcpReassembler } from './tcp-reassembly.ts';

export type CaptureFormat = 'jsonl' | 'pcap' | 'pcapng';

export interface ReadCaptureOptions {
  limits?: Partial<CaptureLimits>;
  /** Name recorded in the synthesised header of a pcap (`capture` key). */
  name?: string;
}

export function sniffCaptureFormat(head: Uint8Array): CaptureFormat | undefined {
  return sniffPacketFile(head) ?? (looksLikeTranscript(head) ? 'jsonl' : undefined);
}

/** Reads a capture held in memory. Throws a CaptureError when it is none of the known formats. */
export function readCapture(bytes: Uint8Array, options: ReadCaptureOptions = {}): Capture {
  const format = sniffCaptureFormat(bytes.subarray(0, 64));
  if (format === 'jsonl') return readTranscript(bytes, options.limits);
  if (format === undefined) throw captureError('not_a_capture', 'not a capture: expected a JSON Lines transcript, a pcap or a pcapng file', { offset: 0 });
  return readPackets(bytes, format, options);
}

function readPackets(bytes: Uint8Array, format: 'pcap' | 'pcapng', options: ReadCaptureOptions): Capture {
  const limits = captureLimits(options.limits);
  const reassembler = new TcpReassembler(limits);
  const skipped: Partial<Record<SkipReason, number>> = {};
  let first: { sec: number; nsec: number } | undefined;
  let lastT = 0;
  let packets = 0;
  let onSupportedLink = 0;
  const info = readPacketFile(bytes, limits, (p) => {
    packets++;
    first ??= { sec: p.sec, nsec: p.nsec };
    // Relative time from integer parts, so epoch-sized seconds do not eat the nanoseconds.
    lastT = Math.round((p.sec - first.sec) * 1e9 + (p.nsec - first.nsec)) / 1e9;
    if (SUPPORTED_LINK_TYPES.has(p.linkType)) onSupportedLink++;
    const seg = decodeFrame(p.linkType, p.data);
    if (typeof seg === 'string') skipped[seg] = (skipped[seg] ?? 0) + 1;
    else reassembler.push(seg, lastT);
  });
  if (packets > 0 && onSupportedLink === 0) {
    throw captureError('unsupported_link_type', `no packet is on a supported link type (file has ${info.linkTypes.join(', ')})`, { field: 'linktype' });
  }
  const result = reassembler.finish(lastT);
  const header: Record<string, unknown> = {
    ...(options.name !== undefined ? { capture: options.name } : {}),
    format,
    packets,
    connections: result.connections.map((c) => ({
      conn: c.conn,
      client: endpointText(c.client),
      server: endpointText(c.server),
      ...(c.syn ? {} : { syn: false }),
    })),
    ...(first ? { start: first.sec + first.nsec / 1e9 } : {}),
    ...(result.refused > 0 ? { refused: result.refused } : {}),
    ...(Object.keys(skipped).length > 0 ? { skipped } : {}),
    ...(result.gaps.length > 0 ? { gaps: result.gaps } : {}),
    ...(info.truncated ? { truncated: true } : {}),
  };
  return { header, records: result.records };
}

function endpointText(e: { address: string; port: number }): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** Reads a capture file (size-checked before it is loaded). */
export async function readCaptureFile(path: string, options: ReadCaptureOptions = {}): Promise<Capture> {
  const limits = captureLimits(options.limits);
  let bytes: Uint8Array;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw captureError('file_unreadable', `${path} is not a regular file`);
    if (st.size > limits.maxFileBytes) {
      throw captureError('limit_exceeded', `${path} is ${st.size} bytes, more than the ${limits.maxFileBytes}-byte limit`, { field: 'file size' });
    }
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    throw captureError('file_unreadable', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return readCapture(bytes, { ...options, name: options.name ?? basename(path).replace(/\.(pcapng|pcap|jsonl)$/i, '') });
}
