// Store objects are addressed by entity ids (endpoint id + object number, spec §2.7.2). Broker uses
// actor ids as object numbers; we hand out our own, process-wide, so that two stores on one
// endpoint never share an entity and a store restarted in the same process gets a new one (which
// is how a Broker clone tells a restarted master from the old one).
import { NIL_ENTITY, isNilEntity, type EndpointId, type EntityId } from '../native/endpoint-id.ts';

let nextObject = 1;

/** A fresh entity on `endpoint`. */
export function newEntity(endpoint: EndpointId): EntityId {
  return Object.freeze({ endpoint, object: nextObject++ });
}

export function sameEntity(a: EntityId, b: EntityId): boolean {
  // Object numbers may arrive as number or bigint; == compares them exactly.
  return a.endpoint === b.endpoint && a.object == b.object; // eslint-disable-line eqeqeq
}

/** A map key for an entity. */
export function entityKey(e: EntityId): string {
  return `${e.endpoint}/${e.object}`;
}

export { NIL_ENTITY, isNilEntity };
