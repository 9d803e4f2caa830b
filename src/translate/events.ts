// Event translation: a legacy event (SERIAL 'e': name, args, the sender's network time) <-> a Zeek
// event message inside Broker data (`[1, 1, [name, args, metadata]]`, spec broker-wire §2.4), the
// network time carried as NetworkTimestamp metadata. Pure functions; routing lives in router.ts.
import { eventBody, type SerialEvent } from '../../legacy/codec/index.ts';
import { makeEvent, networkTimestamp, type Data, type VectorData, type ZeekEvent } from '../../modern/data/index.ts';
import { translationError } from './errors.ts';
import { nsToSeconds, secondsToNs } from './time.ts';
import { toBroker, toLegacy, type ValueContext } from './values.ts';

export interface ToBrokerEventOptions {
  /** Attach the legacy network time as NetworkTimestamp metadata (default true; Zeek 6/7 always do). */
  networkTimestamp?: boolean;
}

/** The Broker arguments of a legacy event. */
export function legacyArgsToBroker(ev: SerialEvent, cx: ValueContext): Data[] {
  return ev.args.map((a, i) => toBroker(a, cx, `${ev.name}#${i + 1}`));
}

/** A legacy event as a Zeek event message (what goes on the Broker topic). */
export function legacyEventToBroker(ev: SerialEvent, cx: ValueContext, options: ToBrokerEventOptions = {}): VectorData {
  const args = legacyArgsToBroker(ev, cx);
  return options.networkTimestamp === false ? makeEvent(ev.name, args) : makeEvent(ev.name, args, { networkTimestamp: secondsToNs(ev.time, `${ev.name}.time`) });
}

/**
 * A Zeek event as a legacy event, arguments typed by the event's declared signature (inferred per
 * value without one). The event time is its NetworkTimestamp, else `now` (seconds), as Broccoli does.
 */
export function brokerEventToLegacy(ev: ZeekEvent, cx: ValueContext, now: () => number): SerialEvent {
  const sig = cx.types.event(ev.name);
  if (sig !== undefined && sig.length !== ev.args.length) {
    throw translationError('arity_mismatch', `${ev.name}: ${ev.args.length} arguments, the declaration has ${sig.length}`, { field: ev.name });
  }
  const args = ev.args.map((a, i) => toLegacy(a, sig?.[i], cx, `${ev.name}#${i + 1}`));
  const ts = networkTimestamp(ev);
  return eventBody(ev.name, args, ts === undefined ? now() : nsToSeconds(ts));
}
