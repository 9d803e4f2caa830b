import type { TimerHandle } from '../../src/core/clock.ts';
import type { LogCreateWriter, LogEntry } from '../codec/log-codec.ts';
import type { PrintRecord } from '../codec/messages.ts';
import type { BroVal, SerialEvent, StateAccess } from '../codec/model.ts';
import { RemoteLogLevel as L, RemoteLogSrc as S } from '../peer/types.ts';
import type { PeerSessionView, PeerSetup, RemoteLogLevelCode, RemoteLogSrcCode, SessionHost } from '../peer/types.ts';
import type { CommunicationFramework } from './framework.ts';
import { matchInbound, setupFor, setupUnmatched, type Node } from './nodes.ts';

// The framework's side of one session: Bro's communication/main.bro handlers
// (remote_connection_established -> setup_peer / complete_handshake, remote_connection_closed ->
// the pending/connected transitions) and the events the core raises.

/** A node we connect to: one peer id for all its reconnects, a fresh session each time. */
export interface Outbound {
  readonly id: number;
  readonly node: Node;
  timer: TimerHandle | undefined;
  /** disconnect() or stop(): no more attempts. */
  cancelled: boolean;
}

export class SessionHostImpl implements SessionHost {
  constructor(
    private readonly fw: CommunicationFramework,
    private readonly slot: Outbound | undefined,
  ) {}

  established(s: PeerSessionView): PeerSetup {
    const fw = this.fw;
    const p = s.peer;
    this.script(s, 'connection established');
    let setup: PeerSetup;
    const node = this.slot?.node ?? matchInbound(fw.nodes.values(), p.host, p.class);
    if (node !== undefined) {
      setup = setupFor(node, fw.localEvents);
      if (node.events !== undefined) {
        this.script(s, `requesting events matching ${node.events.text}${setup.requestEvents.length === 0 ? ' (no known event matches: nothing requested)' : ''}`);
      }
      if (setup.captureFilter !== undefined && setup.captureFilter !== '') this.script(s, `sending capture_filter: ${setup.captureFilter}`);
      if (node.accept_input) this.script(s, 'accepting state');
      if (node.sync) this.script(s, 'requesting synchronized state');
      if (node.request_logs) this.script(s, 'requesting logs');
      node.peer = p;
      node.connected = true;
      fw.connected_peers.set(p.id, node);
      fw.pending_peers.delete(p.id);
    } else {
      this.script(s, `no node matches ${p.host} with class "${p.class ?? ''}": nothing requested, nothing accepted`);
      setup = setupUnmatched(fw.config.compression_level);
    }
    fw.raise('remote_connection_established', p);
    return setup;
  }

  knowsEvent(name: string): boolean {
    return this.fw.config.accept_unknown_event_requests || this.fw.localEvents.has(name);
  }

  eventRegistered(s: PeerSessionView, name: string): void {
    this.fw.raise('remote_event_registered', s.peer, name);
  }

  handshakeDone(s: PeerSessionView): void {
    this.fw.raise('remote_connection_handshake_done', s.peer);
  }

  event(s: PeerSessionView, e: SerialEvent): void {
    const fw = this.fw;
    fw.raise('remote_event', { name: e.name, args: e.args, time: e.time, peer: s.peer, node: s.nodeName });
    if (fw.config.forward_remote_events) fw.send_event(e.name, e.args, { exceptPeer: s.peer.id, time: e.time });
  }

  captureFilter(s: PeerSessionView, filter: string): void {
    this.fw.raise('remote_capture_filter', s.peer, filter);
  }

  pong(s: PeerSessionView, seq: number, d1: number, d2: number, d3: number): void {
    this.fw.raise('remote_pong', s.peer, seq, d1, d2, d3);
  }

  print(s: PeerSessionView, records: PrintRecord[]): void {
    for (const r of records) this.fw.raise('print_hook', r.file, r.text, s.peer);
  }

  logCreateWriter(s: PeerSessionView, w: LogCreateWriter): void {
    this.fw.raise('remote_log_create_writer', s.peer, w);
  }

  logWrite(s: PeerSessionView, entries: LogEntry[]): void {
    this.fw.raise('remote_log_write', s.peer, entries);
  }

  syncTurn(s: PeerSessionView): boolean {
    return this.fw.syncTurn(s.peer.id);
  }

  syncDone(s: PeerSessionView): void {
    this.fw.syncDone(s.peer.id);
  }

  stateSnapshot(): Iterable<readonly [string, BroVal]> {
    return this.fw.state.entries();
  }

  stateAccess(s: PeerSessionView, access: StateAccess): void {
    const fw = this.fw;
    const problem = fw.state.apply(access, s.peer.id, fw.config.remote_check_sync_consistency);
    if (problem !== undefined) {
      const msg = `state inconsistency: ${problem.id} should be ${problem.expectedOld} but is ${problem.realOld} before ${problem.operation}`;
      fw.commLog?.write(L.ERROR, S.SCRIPT, msg, s.peer);
      fw.raise('remote_state_inconsistency', problem.operation, problem.id, problem.expectedOld, problem.realOld);
    }
    const now = fw.state.get(access.target);
    if (now !== undefined) fw.raise('remote_state_access_performed', access.target, now);
  }

  logWriters(): Iterable<LogCreateWriter> {
    return this.fw.logWriters;
  }

  log(s: PeerSessionView, level: RemoteLogLevelCode, src: RemoteLogSrcCode, msg: string): void {
    this.fw.commLog?.write(level, src, msg, s.peer);
    this.fw.raise('remote_log_peer', s.peer, level, src, msg);
  }

  error(s: PeerSessionView, reason: string): void {
    this.fw.raise('remote_connection_error', s.peer, reason);
  }

  closed(s: PeerSessionView, established: boolean): void {
    const fw = this.fw;
    const p = s.peer;
    fw.sessionClosed(p.id);
    const slot = this.slot;
    const retrying = slot !== undefined && !slot.cancelled && !fw.stopped && slot.node.retry > 0;
    if (established) {
      this.script(s, 'connection closed');
      const node = fw.connected_peers.get(p.id);
      if (node !== undefined) {
        node.connected = false;
        fw.connected_peers.delete(p.id);
      }
    }
    // The tables are settled before remote_connection_closed is raised (Bro's own handler moves the
    // node back to pending_peers), so a handler sees whether the node will be retried.
    if (slot !== undefined) {
      if (retrying) {
        // Bro: back to pending_peers when retry != 0; only the initiator's core reconnects.
        fw.pending_peers.set(p.id, slot.node);
        fw.logLine(L.INFO, S.PARENT, `reconnecting to ${slot.node.name} in ${slot.node.retry} s`);
        fw.retryLater(slot);
      } else {
        fw.outbound.delete(p.id);
        fw.pending_peers.delete(p.id);
      }
    }
    if (established) fw.raise('remote_connection_closed', p);
  }

  /** A do_script_log line (src "script"). */
  private script(s: PeerSessionView, msg: string): void {
    this.log(s, L.INFO, S.SCRIPT, msg);
  }
}
