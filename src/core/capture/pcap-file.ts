// The two packet-capture containers: classic libpcap (either byte order, micro- or nanosecond
// timestamps, and the "modified" variant with 24-byte record headers) and pcapng (sections of
// either byte order, several interfaces with their own link type and timestamp resolution,
// enhanced/simple/obsolete packet blocks). Yields captured frames; link layers are elsewhere.
import { captureError, type CaptureLimits } from './errors.ts';

export interface RawPacket {
  /** LINKTYPE_* value of the interface the packet was captured on. */
  linkType: number;
  /** Capture time: whole seconds since the epoch and nanoseconds within that second. */
  sec: number;
  nsec: number;
  /** Captured bytes (a view into the file's buffer). */
  data: Uint8Array;
  /** Length of the packet on the wire (larger than `data` when the snapshot length cut it). */
  origLen: number;
}

export type PacketFileFormat = 'pcap' | 'pcapng';

const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_NANO = 0xa1b23c4d;
const PCAP_MODIFIED = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_PB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

export function sniffPacketFile(head: Uint8Array): PacketFileFormat | undefined {
  if (head.length < 4) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if ([PCAP_MICRO, PCAP_NANO, PCAP_MODIFIED].includes(le) || [PCAP_MICRO, PCAP_NANO, PCAP_MODIFIED].includes(be)) return 'pcap';
  if (be === PCAPNG_SHB) return 'pcapng';
  return undefined;
}

export interface PacketFileInfo {
  format: PacketFileFormat;
  /** Link type of every interface, in interface order (one for pcap). */
  linkTypes: number[];
  /** The file ended inside a record (a capture cut off while being written). */
  truncated: boolean;
}

/** Calls `onPacket` for every packet, in file order. */
export function readPacketFile(bytes: Uint8Array, limits: CaptureLimits, onPacket: (p: RawPacket) => void): PacketFileInfo {
  const format = sniffPacketFile(bytes);
  if (format === 'pcap') return readPcap(bytes, limits, onPacket);
  if (format === 'pcapng') return readPcapng(bytes, limits, onPacket);
  throw captureError('not_a_capture', 'not a pcap or pcapng file (unknown magic number)', { offset: 0 });
}

function readPcap(bytes: Uint8Array, limits: CaptureLimits, onPacket: (p: RawPacket) => void): PacketFileInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) throw captureError('bad_pcap', 'pcap file header is shorter than 24 bytes', { offset: 0 });
  const magicLe = view.getUint32(0, true);
  const le = magicLe === PCAP_MICRO || magicLe === PCAP_NANO || magicLe === PCAP_MODIFIED;
  const magic = le ? magicLe : view.getUint32(0, false);
  const nanos = magic === PCAP_NANO;
  const recordHeader = magic === PCAP_MODIFIED ? 24 : 16;
  const linkType = view.getUint32(20, le) & 0xffff;
  let off = 24;
  let truncated = false;
  while (off < bytes.length) {
    if (bytes.length - off < recordHeader) {
      truncated = true;
      break;
    }
    const sec = view.getUint32(off, le);
    const frac = view.getUint32(off + 4, le);
    const capLen = view.getUint32(off + 8, le);
    const origLen = view.getUint32(off + 12, le);
    if (capLen > limits.maxRecordBytes) {
      throw captureError('limit_exceeded', `pcap record of ${capLen} bytes exceeds the ${limits.maxRecordBytes}-byte limit`, { field: 'incl_len', offset: off + 8 });
    }
    const dataStart = off + recordHeader;
    if (dataStart + capLen > bytes.length) {
      truncated = true;
      break;
    }
    // Some writers put a whole number of seconds into the fraction; carry it over like readers do.
    const perSecond = nanos ? 1e9 : 1e6;
    const nsec = (frac % perSecond) * (nanos ? 1 : 1000);
    onPacket({ linkType, sec: sec + Math.floor(frac / perSecond), nsec, data: bytes.subarray(dataStart, dataStart + capLen), origLen });
    off = dataStart + capLen;
  }
  return { format: 'pcap', linkTypes: [linkType], truncated };
}

interface Interface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second as (base, exponent): 10^6 unless if_tsresol says otherwise. */
  base: 2n | 10n;
  exponent: bigint;
  offsetSec: bigint;
}

function readPcapng(bytes: Uint8Array, limits: CaptureLimits, onPacket: (p: RawPacket) => void): PacketFileInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  let interfaces: Interface[] = [];
  const linkTypes: number[] = [];
  let lastSec = 0;
  let lastNsec = 0;
  let off = 0;
  let truncated = false;
  while (off < bytes.length) {
    if (bytes.length - off < 12) {
      truncated = true;
      break;
    }
    const type = view.getUint32(off, le);
    if (type === PCAPNG_SHB) {
      if (bytes.length - off < 28) {
        truncated = true;
        break;
      }
      const order = view.getUint32(off + 8, true);
      if (order === PCAPNG_BYTE_ORDER) le = true;
      else if (view.getUint32(off + 8, false) === PCAPNG_BYTE_ORDER) le = false;
      else throw captureError('bad_pcap', 'pcapng section header has no byte-order magic', { field: 'byte_order_magic', offset: off + 8 });
      interfaces = [];
    }
    const total = view.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0) throw captureError('bad_pcap', `pcapng block length ${total} is invalid`, { field: 'block_total_length', offset: off + 4 });
    if (total > limits.maxRecordBytes + 64) {
      throw captureError('limit_exceeded', `pcapng block of ${total} bytes exceeds the limit`, { field: 'block_total_length', offset: off + 4 });
    }
    if (off + total > bytes.length) {
      truncated = true;
      break;
    }
    const body = off + 8;
    const bodyEnd = off + total - 4;
    if (view.getUint32(bodyEnd, le) !== total) {
      throw captureError('bad_pcap', 'pcapng block trailer length differs from its header', { field: 'block_total_length', offset: bodyEnd });
    }
    if (type === BLOCK_IDB) {
      const iface = readInterface(bytes, view, body, bodyEnd, le);
      interfaces.push(iface);
      linkTypes.push(iface.linkType);
    } else if (type === BLOCK_EPB || type === BLOCK_PB) {
      const epb = type === BLOCK_EPB;
      const ifaceId = epb ? view.getUint32(body, le) : view.getUint16(body, le);
      const iface = interfaces[ifaceId];
      if (!iface) throw captureError('bad_pcap', `packet refers to undeclared interface ${ifaceId}`, { field: 'interface_id', offset: body });
      const units = (BigInt(view.getUint32(body + 4, le)) << 32n) | BigInt(view.getUint32(body + 8, le));
      const capLen = view.getUint32(body + 12, le);
      const origLen = view.getUint32(body + 16, le);
      const dataStart = body + 20;
      if (dataStart + capLen > bodyEnd) throw captureError('bad_pcap', 'packet data overruns its block', { field: 'captured_len', offset: body + 12 });
      [lastSec, lastNsec] = toTime(units, iface);
      onPacket({ linkType: iface.linkType, sec: lastSec, nsec: lastNsec, data: bytes.subarray(dataStart, dataStart + capLen), origLen });
    } else if (type === BLOCK_SPB) {
      const iface = interfaces[0];
      if (!iface) throw captureError('bad_pcap', 'simple packet block before any interface', { offset: off });
      const origLen = view.getUint32(body, le);
      let capLen = Math.min(origLen, bodyEnd - body - 4);
      if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
      // A simple packet block has no timestamp: it is taken to be as old as the packet before it.
      onPacket({ linkType: iface.linkType, sec: lastSec, nsec: lastNsec, data: bytes.subarray(body + 4, body + 4 + capLen), origLen });
    }
    off += total;
  }
  return { format: 'pcapng', linkTypes, truncated };
}

function readInterface(bytes: Uint8Array, view: DataView, body: number, bodyEnd: number, le: boolean): Interface {
  if (bodyEnd - body < 8) throw captureError('bad_pcap', 'interface description block is too short', { offset: body });
  const iface: Interface = { linkType: view.getUint16(body, le), snapLen: view.getUint32(body + 4, le), base: 10n, exponent: 6n, offsetSec: 0n };
  let opt = body + 8;
  while (opt + 4 <= bodyEnd) {
    const code = view.getUint16(opt, le);
    const len = view.getUint16(opt + 2, le);
    if (code === 0) break;
    const value = opt + 4;
    if (value + len > bodyEnd) throw captureError('bad_pcap', 'interface option overruns its block', { field: `option ${code}`, offset: opt });
    if (code === OPT_IF_TSRESOL && len >= 1) {
      const r = bytes[value]!;
      iface.base = r & 0x80 ? 2n : 10n;
      iface.exponent = BigInt(r & 0x7f);
      if ((iface.base === 10n && iface.exponent > 18n) || (iface.base === 2n && iface.exponent > 63n)) {
        throw captureError('bad_pcap', `unsupported timestamp resolution ${r}`, { field: 'if_tsresol', offset: value });
      }
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      iface.offsetSec = view.getBigInt64(value, le);
    }
    opt = value + ((len + 3) & ~3);
  }
  return iface;
}

function toTime(units: bigint, iface: Interface): [number, number] {
  const perSecond = iface.base ** iface.exponent;
  const sec = units / perSecond + iface.offsetSec;
  const nsec = ((units % perSecond) * 1_000_000_000n) / perSecond;
  return [Number(sec), Number(nsec)];
}
