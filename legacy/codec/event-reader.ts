import { legacyError } from './errors.ts';
import type { BroVal, SerialEvent } from './model.ts';
import type { SerialDecoder } from './serial-reader.ts';
import { decodeName } from './strings.ts';

// SERIAL 'e' (section 8.11): event name, the sender's time, the arguments as values.

const nameText = decodeName;

/** The last event name decoded, with its bytes: events of one kind repeat their name. */
export class EventNames {
  name = '';
  bytes = new Uint8Array(0);

  /** The name at b[start, start + n): the previous string again when the bytes are the same. */
  read(b: Uint8Array, start: number, n: number): string {
    const last = this.bytes;
    if (last.length === n) {
      let i = 0;
      while (i < n && last[i] === b[start + i]) i++;
      if (i === n) return this.name;
    }
    const name = nameText(b, start, start + n);
    if (n <= 256) {
      this.bytes = b.slice(start, start + n);
      this.name = name;
    }
    return name;
  }
}

/** The event after its 'e'. */
export function readEvent(d: SerialDecoder, names: EventNames): SerialEvent {
  const r = d.r;
  const nameLength = r.u32('event.name');
  r.need(nameLength, 'event.name');
  const name = names.read(r.bytes, r.offset, nameLength);
  r.offset += nameLength;
  d.beginSequence(name);
  const time = r.f64('event.time');
  const at = r.position;
  const n = r.i32('event.nargs');
  if (n < 0) throw legacyError('malformed_message', `negative argument count ${n}`, { field: 'event.nargs', offset: at });
  // Exactly sized when the count is plausible (each argument takes at least a byte).
  const args: BroVal[] = n <= r.end - r.offset ? new Array<BroVal>(n) : [];
  for (let i = 0; i < n; i++) args[i] = d.val('event.args');
  return { kind: 'event', name, time, args };
}
