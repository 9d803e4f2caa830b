// One `peer(address, port, retry)` request: dial, hand the connection to a peering, and keep the
// peering alive the way Broker does (spec §4.4): a failed attempt is reported and retried every
// `retry` (0 = give up), a lost peering is re-dialled at once and then every `retry`, an unpeer
// cancels everything, and nothing published while disconnected is kept for later.
import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import type { Transport } from '../../src/core/transport.ts';
import type { EndpointId } from '../native/endpoint-id.ts';
import type { Peering } from '../native/peering.ts';

/**
 * connecting: dialling; handshake: connected, handshake running; peered: its peering is up;
 * adopting: redundant with a handshake of the same peer that is still running; waiting: retry timer.
 */
export type DialerState = 'connecting' | 'handshake' | 'peered' | 'adopting' | 'waiting' | 'stopped';

export interface DialerHost {
  readonly clock: Clock;
  connect(address: string, port: number): Promise<Transport>;
  /** Starts the handshake over a fresh connection on behalf of `d`. */
  startPeering(d: Dialer, t: Transport): Peering;
  /** One attempt failed: report it (`peering` when the connection got as far as a handshake). */
  attemptFailed(d: Dialer, cause: unknown, peering: Peering | undefined): void;
  /** The request is over (given up or cancelled). */
  finished(d: Dialer): void;
}

export class Dialer {
  state: DialerState = 'connecting';
  /** The connection of the current attempt, or the established peering. */
  peering: Peering | undefined;
  /** The id of the last peer this request reached. */
  lastPeerId: EndpointId | undefined;
  everPeered = false;
  readonly settled: Promise<boolean>;
  private resolve!: (ok: boolean) => void;
  private timer: TimerHandle | undefined;
  private attemptSeq = 0;

  constructor(
    private readonly host: DialerHost,
    readonly address: string,
    readonly port: number,
    /** Seconds between attempts; 0 = a single attempt and no reconnect. */
    readonly retry: number,
  ) {
    this.settled = new Promise((r) => (this.resolve = r));
  }

  get active(): boolean {
    return this.state !== 'stopped';
  }

  matches(address: string, port: number): boolean {
    return this.address === address && this.port === port;
  }

  start(): void {
    this.attempt();
  }

  /** The peering of this request completed its handshake. */
  onEstablished(p: Peering): void {
    if (!this.active) return;
    this.peering = p;
    this.state = 'peered';
    this.everPeered = true;
    this.lastPeerId = p.peerId;
    this.resolve(true);
  }

  /**
   * The attempt turned out redundant: the peer is connected through `existing`, or (undefined) will
   * be once another handshake ends; the request then looks after that peering (Broker moves the
   * retry address to it).
   */
  onRedundant(peerId: EndpointId | undefined, existing: Peering | undefined): void {
    if (!this.active) return;
    this.lastPeerId = peerId ?? this.lastPeerId;
    if (existing) return this.onEstablished(existing);
    this.peering = undefined;
    if (peerId === undefined) return this.onAttemptFailed(new Error('redundant connection to an unknown peer'), undefined);
    this.state = 'adopting';
  }

  /** The handshake an adopting request waited for failed: try again like after any failed attempt. */
  onAdoptionFailed(): void {
    if (this.state !== 'adopting') return;
    if (this.retry > 0) this.schedule();
    else this.stop();
  }

  /** The handshake or connection of the current attempt failed. */
  onAttemptFailed(cause: unknown, peering: Peering | undefined): void {
    if (!this.active) return;
    this.peering = undefined;
    this.host.attemptFailed(this, cause, peering);
    if (this.retry > 0) this.schedule();
    else this.stop();
  }

  /** The established peering ended without an unpeer: re-dial now (Broker), or after `retry` when asked. */
  onLost(delayed = false): void {
    if (!this.active) return;
    this.peering = undefined;
    if (this.retry <= 0) return this.stop();
    if (delayed) this.schedule();
    else this.attempt();
  }

  /** Cancels the request; a pending handshake is dropped, an established peering is left to the caller. */
  stop(): void {
    if (this.state === 'stopped') return;
    const pending = this.state === 'handshake' ? this.peering : undefined;
    this.state = 'stopped';
    this.attemptSeq++;
    this.timer?.cancel();
    this.timer = undefined;
    this.resolve(false);
    pending?.destroy();
    this.host.finished(this);
  }

  private schedule(): void {
    this.state = 'waiting';
    this.timer = this.host.clock.setTimeout(() => this.attempt(), this.retry * 1000);
  }

  private attempt(): void {
    if (!this.active) return;
    this.timer = undefined;
    this.state = 'connecting';
    const seq = ++this.attemptSeq;
    this.host.connect(this.address, this.port).then(
      (t) => {
        if (seq !== this.attemptSeq || !this.active) return t.destroy();
        this.state = 'handshake';
        this.peering = this.host.startPeering(this, t);
      },
      (err: unknown) => {
        if (seq !== this.attemptSeq || !this.active) return;
        this.onAttemptFailed(err, undefined);
      },
    );
  }
}
