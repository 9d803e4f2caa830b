// Who sends state in the SYNC phase (section 6.3). Both peers evaluate the same inputs, so they
// agree; each side only has to know its own flags, the peer's, both runtimes and who initiated.

export interface SyncInputs {
  /** Our REQUEST_SYNC's authoritative flag; undefined if we did not request sync. */
  ours: boolean | undefined;
  /** The peer's; undefined if it did not. */
  theirs: boolean | undefined;
  /** Runtime in our VERSION and in the peer's (seconds since each process started). */
  ourRuntime: number;
  theirRuntime: number;
  /** We opened the TCP connection. */
  initiator: boolean;
}

export type StateSender = 'us' | 'peer' | 'conflict';

export const SYNC_CONFLICT_REASON = 'misconfiguration: authoritative state on both sides';

/** undefined when nobody asked for sync (no SYNC phase). */
export function stateSender(x: SyncInputs): StateSender | undefined {
  if (x.ours === undefined && x.theirs === undefined) return undefined;
  if (x.ours === undefined) return 'us'; // only the peer asked: we send
  if (x.theirs === undefined) return 'peer'; // only we asked: the peer sends
  if (x.ours && x.theirs) return 'conflict';
  if (x.ours) return 'us';
  if (x.theirs) return 'peer';
  // Neither authoritative: the longer-running side sends (Bro's code, despite its comment), and
  // on a tie the side that initiated the connection.
  if (x.ourRuntime !== x.theirRuntime) return x.ourRuntime > x.theirRuntime ? 'us' : 'peer';
  return x.initiator ? 'us' : 'peer';
}
