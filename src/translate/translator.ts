// Everything the daemon needs from the translation layer, built from the config's `types`,
// `routing` and `logs` sections: the type registry, the event router, the log translator, the peer
// registry and the drop counters, plus the metrics of all of them.
import { z } from 'zod';
import type { ZeekColumn, ZeekLogWriter } from '../core/zeeklog.ts';
import { TranslationDrops, type DropRecord } from './drops.ts';
import { LegacyLogTranslator, logsConfigSchema } from './logs.ts';
import { dropMetrics, type MetricFamily } from './metrics.ts';
import { PeerRegistry, type PeerChange } from './peer-registry.ts';
import { EventRouter, routingConfigSchema } from './router.ts';
import { typesConfigSchema } from './type-config.ts';
import { TypeRegistry } from './type-registry.ts';
import type { ValueContext } from './values.ts';

/** The translation part of the daemon config: `types`, `routing`, `logs` (each optional). */
export const translationConfigSchema = z.strictObject({
  types: typesConfigSchema.default({ records: {}, enums: {}, events: {} }),
  routing: routingConfigSchema.default(routingConfigSchema.parse({})),
  logs: logsConfigSchema.default(logsConfigSchema.parse({})),
  /** Container nesting limit for value translation. */
  max_depth: z.number().int().min(1).max(1000).default(64),
});

export type TranslationConfigInput = z.input<typeof translationConfigSchema>;
export type TranslationConfig = z.output<typeof translationConfigSchema>;

export interface TranslatorOptions {
  /** Wall clock, ms. */
  now?: () => number;
  /** Each dropped message (the daemon logs it). */
  onDrop?: (drop: DropRecord) => void;
  /** Peer registry changes (broker.log). */
  onPeerChange?: (change: PeerChange) => void;
  /** Opens a local Zeek log for legacy remote logs; without it none are written. */
  openLocalLog?: (path: string, columns: readonly ZeekColumn[]) => ZeekLogWriter;
}

export class Translator {
  readonly config: TranslationConfig;
  readonly types: TypeRegistry;
  readonly cx: ValueContext;
  readonly drops: TranslationDrops;
  readonly router: EventRouter;
  readonly logs: LegacyLogTranslator;
  readonly peers: PeerRegistry;

  /** Validates `config` (throws a ZodError naming path and rule) and builds the parts. */
  constructor(config: TranslationConfigInput = {}, options: TranslatorOptions = {}) {
    this.config = translationConfigSchema.parse(config);
    const now = options.now ?? Date.now;
    this.types = TypeRegistry.from(this.config.types);
    this.cx = { types: this.types, maxDepth: this.config.max_depth };
    this.drops = new TranslationDrops({ now, ...(options.onDrop !== undefined ? { log: options.onDrop } : {}) });
    this.router = new EventRouter({ config: this.config.routing, cx: this.cx, drops: this.drops, now });
    this.logs = new LegacyLogTranslator({
      config: this.config.logs,
      drops: this.drops,
      ...(options.openLocalLog !== undefined ? { openLocal: options.openLocalLog } : {}),
    });
    this.peers = new PeerRegistry({ now, ...(options.onPeerChange !== undefined ? { onChange: options.onPeerChange } : {}) });
  }

  /** Peer and drop metric families (the daemon adds its own, e.g. queue depths of its parts). */
  metrics(): MetricFamily[] {
    return [...this.peers.metrics(), dropMetrics(this.drops)];
  }
}
