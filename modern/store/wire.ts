// Small helpers shared by master and clone for reading and building command messages.
import type { Int64 } from '../data/index.ts';
import { NIL_ENTITY, type EntityId } from '../native/endpoint-id.ts';
import type { CommandMessage, StoreCommand } from '../native/store-commands.ts';

/** Our seqs are numbers; a peer's u64 beyond 2^53 cannot be a real sequence number anyway. */
export function seqOf(v: Int64): number {
  return typeof v === 'number' ? v : Number(v);
}

export function message(seq: number, sender: EntityId, receiver: EntityId, command: StoreCommand): CommandMessage {
  return { seq, sender, receiver, command };
}

export function broadcastMessage(sender: EntityId, command: StoreCommand): CommandMessage {
  return { seq: 0, sender, receiver: NIL_ENTITY, command };
}

/** Relative ns on the wire → absolute ms on the local clock. */
export function expiresAt(now: number, expiry: Int64 | undefined): number | undefined {
  return expiry === undefined ? undefined : now + Number(expiry) / 1e6;
}

/** Commands that change contents (Broker's "actions"); everything else is channel control. */
export function isAction(c: StoreCommand): boolean {
  switch (c.type) {
    case 'put':
    case 'put_unique':
    case 'put_unique_result':
    case 'erase':
    case 'expire':
    case 'add':
    case 'subtract':
    case 'clear':
      return true;
    default:
      return false;
  }
}
