// What the parts of the bridge share: how they publish towards Broker, how they report peer status
// changes (one stream for both worlds, feeding broker.log and the bridge's `report` event).
import type { Data } from '../../modern/data/index.ts';
import type { PeerProtocol } from '../translate/peer-registry.ts';
import type { BrokerReport } from '../translate/status.ts';

/** Publishes a data message towards Broker as one participant (the main one, or a legacy node's cluster endpoint). */
export type Publisher = (topic: string, message: Data) => void;

/** A Broker status or error event about one peer of either world. */
export interface PeerReport {
  readonly protocol: PeerProtocol;
  /** The peer's registry key (`legacy:10000`, `broker:<id>`, `websocket:<id>`). */
  readonly key: string;
  /** What an operator recognises: node name, endpoint id, application name. */
  readonly name: string | undefined;
  readonly report: BrokerReport;
}

export type Reporter = (r: PeerReport) => void;

/** A listener the bridge opened, with its bound port (the config may say 0). */
export interface ListenerInfo {
  readonly kind: 'legacy' | 'broker' | 'websocket' | 'status';
  readonly address: string;
  /** Bound port; 0 while waiting for the port (listen retry). */
  readonly port: number;
  /** The configured port while it is in use elsewhere and the bind is being retried. */
  readonly waitingFor?: number;
  /** Transport security as an operator would say it. */
  readonly security: string;
  /** ws:// / http:// URL where one applies. */
  readonly url?: string;
}
