// The handshake of one native connection (spec §1.3, §1.4) as a state machine over decoded frames:
// the connector says hello, the acceptor probes; the endpoint with the smaller id originates
// (version_select + originator_syn), the other responds (responder_syn_ack), the originator acks.
// The per-peer-id bookkeeping that decides about redundant connections lives with the endpoint,
// which the machine asks through `admit` once it knows who is on the other side.
import { ErrorCode } from '../constants.ts';
import { BrokerError, asBrokerError } from '../errors.ts';
import type { EndpointId } from './endpoint-id.ts';
import {
  decodeHandshake,
  dropConn,
  dropConnFor,
  hello,
  originatorAck,
  originatorSyn,
  probe,
  responderSynAck,
  versionSelect,
  type DropConn,
  type HandshakeMessage,
  type Hello,
  type VersionSelect,
} from './handshake.ts';

export type HandshakeRole = 'connector' | 'acceptor';

export type HandshakeStep =
  | 'await_hello'
  | 'await_hello_or_version_select'
  | 'await_version_select'
  | 'await_orig_syn'
  | 'await_resp_syn_ack'
  | 'await_orig_ack'
  /** A redundant connection waiting for the other handshake with the same peer to end. */
  | 'paused'
  | 'done'
  /** Ended because the peer is already connected (drop_conn 39 sent or received). */
  | 'redundant'
  | 'failed';

/** The endpoint's verdict on a handshake with `peerId` (Broker's proceed_with_handshake). */
export type Admission =
  | { readonly kind: 'proceed' }
  | { readonly kind: 'wait' }
  | { readonly kind: 'refuse'; readonly code: ErrorCode; readonly text: string; readonly redundant: boolean };

export interface HandshakeHost {
  readonly nodeId: EndpointId;
  localFilter(): readonly string[];
  admit(peerId: EndpointId, originator: boolean): Admission;
  /** Whether a drop_conn 39 from `peerId` refers to a peer we have (connecting, connected or peered). */
  knowsPeer(peerId: EndpointId): boolean;
  send(msg: HandshakeMessage): void;
}

export interface HandshakeFailure {
  readonly code: ErrorCode;
  readonly message: string;
  /** A drop_conn carrying this code and message went out. */
  readonly dropConnSent: boolean;
  /** The peer's drop_conn, when that is what ended the handshake. */
  readonly remote?: DropConn;
  /** The failure came from bytes that are not the protocol (bad tag, magic, length…), not from a rule. */
  readonly garbage: boolean;
  readonly cause?: unknown;
}

export class Handshake {
  step: HandshakeStep;
  peerId: EndpointId | undefined;
  originator: boolean | undefined;
  peerFilter: readonly string[] = [];
  failure: HandshakeFailure | undefined;
  /** The endpoint registered `peerId` for this handshake (and must forget it if it fails). */
  admitted = false;

  constructor(
    readonly role: HandshakeRole,
    private readonly host: HandshakeHost,
  ) {
    this.step = role === 'connector' ? 'await_hello_or_version_select' : 'await_hello';
  }

  get finished(): boolean {
    return this.step === 'done' || this.step === 'redundant' || this.step === 'failed';
  }

  /** The first message: hello from the connector, probe from the acceptor. */
  start(): void {
    this.host.send(this.role === 'connector' ? hello(this.host.nodeId) : probe());
  }

  /** Feeds one frame payload; returns the step reached. */
  receive(payload: Uint8Array): HandshakeStep {
    if (this.finished || this.step === 'paused') return this.unexpected(`a message after the handshake reached ${this.step}`);
    let msg: HandshakeMessage;
    try {
      msg = decodeHandshake(payload);
    } catch (err) {
      return this.reject(asBrokerError(err, ErrorCode.INVALID_MESSAGE));
    }
    if (msg.type === 'drop_conn') return this.onDropConn(msg);
    switch (this.step) {
      case 'await_hello':
        if (msg.type === 'probe') return this.step;
        if (msg.type === 'hello') return this.onHello(msg);
        break;
      case 'await_hello_or_version_select':
        if (msg.type === 'probe') return this.step;
        if (msg.type === 'hello') return this.onHello(msg);
        if (msg.type === 'version_select') return this.onVersionSelect(msg);
        break;
      case 'await_version_select':
        if (msg.type === 'probe') return this.step;
        if (msg.type === 'version_select') return this.onVersionSelect(msg);
        break;
      case 'await_orig_syn':
        if (msg.type === 'originator_syn') {
          this.peerFilter = msg.filter;
          this.host.send(responderSynAck(this.host.localFilter()));
          return (this.step = 'await_orig_ack');
        }
        break;
      case 'await_resp_syn_ack':
        if (msg.type === 'responder_syn_ack') {
          this.peerFilter = msg.filter;
          this.host.send(originatorAck());
          return (this.step = 'done');
        }
        break;
      case 'await_orig_ack':
        if (msg.type === 'originator_ack') return (this.step = 'done');
        break;
    }
    return this.unexpected(`unexpected ${msg.type} while in ${this.step}`);
  }

  /** Ends the handshake locally (timeout, transport error, bad framing). */
  fail(code: ErrorCode, message: string, options: { dropConn?: boolean; garbage?: boolean; cause?: unknown } = {}): HandshakeStep {
    if (this.finished) return this.step;
    if (options.dropConn) this.host.send(dropConn(this.host.nodeId, code, message));
    this.failure = { code, message, dropConnSent: options.dropConn ?? false, garbage: options.garbage ?? false, ...(options.cause !== undefined ? { cause: options.cause } : {}) };
    return (this.step = 'failed');
  }

  /** The other handshake this one waited for has ended: tell the peer this connection is redundant. */
  resolvePaused(): HandshakeStep {
    if (this.step !== 'paused') return this.step;
    this.host.send(dropConn(this.host.nodeId, ErrorCode.REDUNDANT_CONNECTION, 'redundant connection'));
    return (this.step = 'redundant');
  }

  private onHello(msg: Hello): HandshakeStep {
    const id = this.host.nodeId;
    if (msg.sender === id) {
      // Broker has no rule for this and both sides would wait for a version_select forever.
      return this.refuse(ErrorCode.INVALID_PEERING_REQUEST, 'cannot peer with own endpoint id', false);
    }
    if (id < msg.sender) {
      if (!this.admit(msg.sender, true)) return this.step;
      this.host.send(versionSelect(id));
      this.host.send(originatorSyn(this.host.localFilter()));
      return (this.step = 'await_resp_syn_ack');
    }
    // The peer originates; an acceptor introduces itself (a connector already did).
    if (this.role === 'acceptor') this.host.send(hello(id));
    return (this.step = 'await_version_select');
  }

  private onVersionSelect(msg: VersionSelect): HandshakeStep {
    if (!this.admit(msg.sender, false)) return this.step;
    return (this.step = 'await_orig_syn');
  }

  private admit(peerId: EndpointId, originator: boolean): boolean {
    this.peerId = peerId;
    this.originator = originator;
    const a = this.host.admit(peerId, originator);
    switch (a.kind) {
      case 'proceed':
        this.admitted = true;
        return true;
      case 'wait':
        this.step = 'paused';
        return false;
      case 'refuse':
        this.refuse(a.code, a.text, a.redundant);
        return false;
    }
  }

  private refuse(code: ErrorCode, text: string, redundant: boolean): HandshakeStep {
    this.host.send(dropConn(this.host.nodeId, code, text));
    if (redundant) return (this.step = 'redundant');
    this.failure = { code, message: text, dropConnSent: true, garbage: false };
    return (this.step = 'failed');
  }

  private onDropConn(msg: DropConn): HandshakeStep {
    if (msg.code === ErrorCode.REDUNDANT_CONNECTION && this.host.knowsPeer(msg.sender)) {
      this.peerId = msg.sender;
      return (this.step = 'redundant');
    }
    this.peerId ??= msg.sender;
    this.failure = { code: msg.code, message: msg.description, dropConnSent: false, remote: msg, garbage: false };
    return (this.step = 'failed');
  }

  /** Bytes that do not decode: answer with drop_conn (code and text of the failure), then close. */
  private reject(err: BrokerError): HandshakeStep {
    this.host.send(dropConnFor(this.host.nodeId, err));
    this.failure = { code: err.ec, message: err.reason, dropConnSent: true, garbage: true, cause: err };
    return (this.step = 'failed');
  }

  /** A well-formed message out of order: Broker closes without a drop_conn. */
  private unexpected(message: string): HandshakeStep {
    this.failure = { code: ErrorCode.UNEXPECTED_HANDSHAKE_MESSAGE, message, dropConnSent: false, garbage: true };
    return (this.step = 'failed');
  }
}
