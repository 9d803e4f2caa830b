import type { Node } from './nodes.ts';

// Reloading `Communication::nodes` at runtime (the daemon's SIGHUP): which nodes keep their
// connections and which are dropped or dialled. A node counts as unchanged when every configured
// field resolves to the same value (port and compression after the global defaults), so an edit
// to one node never disturbs the others.

export interface NodesReload {
  /** New names: connected now when connect = T. */
  added: string[];
  /** Gone from the table: disconnected, no longer retried. */
  removed: string[];
  /** Same name, different settings: disconnected, then handled as added. */
  changed: string[];
  /** Untouched: their connections stay up. */
  unchanged: string[];
  /** Top-level options that differ but only apply at start (listen_port, ...): need a restart. */
  needsRestart: string[];
}

/** Every configured field of a resolved node (not the runtime `peer` / `connected`). */
function fingerprint(n: Node): string {
  return JSON.stringify([
    n.host, n.zone_id ?? null, n.p, n.class ?? null, n.events?.text ?? null, n.connect, n.retry, n.accept_input, n.sync,
    n.request_logs, n.auth, n.capture_filter ?? null, n.ssl, n.compression,
  ]);
}

export function sameNode(a: Node, b: Node): boolean {
  return fingerprint(a) === fingerprint(b);
}

/** Compares the running table with the reloaded one (both resolved). */
export function planReload(current: ReadonlyMap<string, Node>, next: ReadonlyMap<string, Node>): Omit<NodesReload, 'needsRestart'> {
  const out = { added: [] as string[], removed: [] as string[], changed: [] as string[], unchanged: [] as string[] };
  for (const name of current.keys()) if (!next.has(name)) out.removed.push(name);
  for (const [name, n] of next) {
    const old = current.get(name);
    if (old === undefined) out.added.push(name);
    else if (sameNode(old, n)) out.unchanged.push(name);
    else out.changed.push(name);
  }
  return out;
}

/** Top-level options (all but `nodes`) whose values differ. */
export function changedOptions(current: Readonly<Record<string, unknown>>, next: Readonly<Record<string, unknown>>): string[] {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)]);
  keys.delete('nodes');
  return [...keys].filter((k) => JSON.stringify(current[k]) !== JSON.stringify(next[k])).sort();
}
