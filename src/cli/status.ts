// `comm-bridge status [--url http://127.0.0.1:27758] [--config FILE] [--json]`: asks a running
// daemon's status listener for /status and prints every peer of both worlds (name, protocol,
// address, status, events in/out, last error), the listeners, the legacy connected/pending view
// and the translation drops. Exit status 0, 1 when the daemon cannot be reached, 2 for bad usage.
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/index.ts';
import { DEFAULT_STATUS_PORT } from '../config/schema.ts';
import { BridgeError } from '../core/errors.ts';
import type { StatusDocument } from '../bridge/status-document.ts';
import { cliError, defaultIo, type CliIo } from './io.ts';

const USAGE = `usage: comm-bridge status [--url URL | --config FILE] [--json]   (default URL http://127.0.0.1:${DEFAULT_STATUS_PORT})`;

const addr = (a: string, p: number): string => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);

/** The peer table and summary lines of a /status document. */
export function formatStatus(doc: StatusDocument): string {
  const rows = [['NAME', 'PROTOCOL', 'ADDRESS', 'STATUS', 'EVENTS IN/OUT', 'LAST ERROR']];
  for (const p of doc.peers) {
    rows.push([p.name, p.protocol, addr(p.address, p.port), p.status_name, `${p.eventsIn}/${p.eventsOut}`, p.lastError === undefined ? '-' : `${p.lastError.code}: ${p.lastError.message}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
  const out = [
    `comm-bridge ${doc.node} (pid ${doc.pid}), up ${Math.round(doc.uptime)} s`,
    `listening: ${doc.listeners.map((l) => `${l.kind} ${addr(l.address, l.port)}`).join(', ') || 'nothing'}`,
    '',
    doc.peers.length === 0 ? '(no peers)' : table,
    '',
    `legacy view: connected_peers ${doc.legacy.connected_peers.length} (${doc.legacy.connected_peers.map((e) => `${e.protocol}:${e.node ?? e.descr}`).join(', ') || '-'}), pending_peers ${doc.legacy.pending_peers.length}`,
  ];
  if (doc.cluster.length > 0) out.push(`cluster nodes: ${doc.cluster.map((c) => `${c.node} (${c.endpoint})`).join(', ')}`);
  const reasons = doc.drops.by_reason.map((r) => `${r.direction} ${r.reason} ${r.count}`).join(', ');
  out.push(`translation drops: ${doc.drops.total}${reasons === '' ? '' : ` (${reasons})`}`);
  return `${out.join('\n')}\n`;
}

export async function statusMain(args: string[], io: CliIo = defaultIo()): Promise<number> {
  let url: string;
  let json: boolean;
  try {
    let values;
    try {
      ({ values } = parseArgs({ args, options: { url: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
    } catch (err) {
      throw new BridgeError('usage', `${(err as Error).message}\n${USAGE}`);
    }
    if (values.help === true) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (values.url !== undefined && values.config !== undefined) throw new BridgeError('usage', `--url and --config exclude each other\n${USAGE}`);
    if (values.config !== undefined) {
      const s = loadConfigFile(values.config).status;
      url = `http://${addr(s.address === '0.0.0.0' ? '127.0.0.1' : s.address === '::' ? '::1' : s.address, s.port)}`;
    } else url = values.url ?? `http://127.0.0.1:${DEFAULT_STATUS_PORT}`;
    if (!/^https?:\/\//.test(url)) throw new BridgeError('usage', `--url expects http://HOST:PORT, got '${url}'`);
    json = values.json === true;
  } catch (err) {
    return cliError('status', err, io);
  }
  const target = `${url.replace(/\/+$/, '')}/status`;
  let text: string;
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(5000) });
    text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.trim()}`);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    io.stderr(`comm-bridge status: cannot reach ${target}${cause !== undefined ? ` (${cause})` : `: ${(err as Error).message}`} — is \`comm-bridge run\` running with its status listener there?\n`);
    return 1;
  }
  if (json) io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  else io.stdout(formatStatus(JSON.parse(text) as StatusDocument));
  await io.flush();
  return 0;
}
