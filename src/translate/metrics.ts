// Prometheus text exposition (format 0.0.4) for the metric families the bridge's parts report.
import type { TranslationDrops } from './drops.ts';

export interface MetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: readonly MetricSample[];
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function prometheusText(families: readonly MetricFamily[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      const labels = Object.entries(s.labels);
      const l = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      out += `${f.name}${l} ${number(s.value)}\n`;
    }
  }
  return out;
}

/** Translation drops by direction and reason. */
export function dropMetrics(drops: TranslationDrops): MetricFamily {
  return {
    name: 'comm_bridge_translation_drops_total',
    help: 'Messages dropped because they could not be translated, by direction and reason.',
    type: 'counter',
    samples: drops.rows().map((r) => ({ labels: { direction: r.direction, reason: r.reason }, value: r.count })),
  };
}
