// Broker's per-peer-id bookkeeping (its peer_status_map) and the connections of one endpoint: which
// handshakes run, which peerings are up, and the rules that make a second connection to the same
// peer redundant (spec §1.4): the originator refuses it with drop_conn 39 once the peer is connected
// (or pauses it while the first handshake still runs), a responder answers drop_conn 40.
import { ErrorCode, PeerStatus } from '../constants.ts';
import type { EndpointId } from '../native/endpoint-id.ts';
import type { Admission } from '../native/peering-handshake.ts';
import type { Peering } from '../native/peering.ts';
import type { Dialer } from './dialer.ts';
import type { NetworkInfo } from './events.ts';

/** What the endpoint keeps about each connection. */
export interface Link {
  readonly peering: Peering;
  /** Dialled address (outbound) or the remote socket address (inbound). */
  network: NetworkInfo;
  /** The peer() request responsible for re-dialling, if any. */
  dialer: Dialer | undefined;
  readonly outbound: boolean;
  /** peer_added was reported (so the end of the peering is reported too). */
  added: boolean;
}

export class PeerRegistry {
  readonly statuses = new Map<EndpointId, PeerStatus>();
  readonly links = new Map<Peering, Link>();
  /** Established peerings by peer id. */
  readonly established = new Map<EndpointId, Peering>();

  add(link: Link): void {
    this.links.set(link.peering, link);
  }

  link(p: Peering): Link | undefined {
    return this.links.get(p);
  }

  /** Broker's proceed_with_handshake. */
  admit(p: Peering, peerId: EndpointId, originator: boolean, shuttingDown: boolean): Admission {
    if (shuttingDown) return { kind: 'refuse', code: ErrorCode.SHUTTING_DOWN, text: 'shutting down', redundant: false };
    const status = this.statuses.get(peerId);
    switch (status) {
      case undefined:
      case PeerStatus.INITIALIZING:
        this.statuses.set(peerId, PeerStatus.CONNECTING);
        return { kind: 'proceed' };
      case PeerStatus.DISCONNECTED:
        this.statuses.set(peerId, PeerStatus.RECONNECTING);
        return { kind: 'proceed' };
      case PeerStatus.CONNECTING:
      case PeerStatus.RECONNECTING: {
        if (!originator) return responderRefusal();
        const other = this.pendingHandshake(peerId, p);
        if (!other) return { kind: 'refuse', code: ErrorCode.LOGIC_ERROR, text: 'detected redundant connection but find_pending_handshake failed', redundant: false };
        other.waiting.push(p);
        return { kind: 'wait' };
      }
      case PeerStatus.CONNECTED:
      case PeerStatus.PEERED:
        if (!originator) return responderRefusal();
        return { kind: 'refuse', code: ErrorCode.REDUNDANT_CONNECTION, text: 'redundant connection', redundant: true };
      default:
        return { kind: 'refuse', code: ErrorCode.LOGIC_ERROR, text: 'invalid peer status', redundant: false };
    }
  }

  /** A drop_conn 39 from `peerId` is believed only for a peer we are connecting to or connected with. */
  knowsPeer(peerId: EndpointId): boolean {
    const s = this.statuses.get(peerId);
    return s === PeerStatus.CONNECTING || s === PeerStatus.CONNECTED || s === PeerStatus.PEERED;
  }

  /** Another connection whose handshake with `peerId` is under way. */
  pendingHandshake(peerId: EndpointId, except: Peering): Peering | undefined {
    for (const p of this.links.keys()) {
      if (p !== except && p.state === 'handshake' && p.handshake.admitted && p.handshake.peerId === peerId) return p;
    }
    return undefined;
  }

  /** Records a completed handshake; false when the peer already has an established peering. */
  markEstablished(p: Peering): boolean {
    const id = p.peerId!;
    const existing = this.established.get(id);
    if (existing && existing !== p) return false;
    this.established.set(id, p);
    this.statuses.set(id, PeerStatus.PEERED);
    return true;
  }

  /** Forgets a connection; an established peer becomes DISCONNECTED, a failed admission is undone. */
  remove(p: Peering): Link | undefined {
    const link = this.links.get(p);
    this.links.delete(p);
    if (p.established) {
      const id = p.peerId!;
      if (this.established.get(id) === p) {
        this.established.delete(id);
        this.statuses.set(id, PeerStatus.DISCONNECTED);
      }
    } else if (p.handshake.admitted && p.handshake.peerId !== undefined && p.handshake.step === 'failed') {
      // Broker erases the entry when a handshake it admitted fails.
      if (!this.established.has(p.handshake.peerId)) this.statuses.delete(p.handshake.peerId);
    }
    return link;
  }
}

function responderRefusal(): Admission {
  return { kind: 'refuse', code: ErrorCode.LOGIC_ERROR, text: 'detected redundant connection at the responder', redundant: false };
}
