// The targets of issue 7, checked against the rows of one run. Relative targets (decode vs
// JSON.parse, native peering vs the raw pipe) compare rows measured in the same run; when the
// reference row was not run, the check says so instead of guessing.
import type { BenchRow } from './common.ts';

export interface TargetCheck {
  /** The target in words, e.g. "≥ 2× JSON.parse". */
  target: string;
  /** What the run showed against it, e.g. "1.15×". */
  actual: string;
  /** undefined = cannot be judged in this run (a reference row is missing). */
  met: boolean | undefined;
}

export type CheckedRow = BenchRow & { checks?: TargetCheck[] };

const find = (rows: readonly BenchRow[], bench: string, test: (r: BenchRow) => boolean): BenchRow | undefined =>
  rows.find((r) => r.bench === bench && test(r));

function ratioCheck(row: BenchRow, ref: BenchRow | undefined, refName: string, factor: number): TargetCheck {
  const target = `≥ ${factor}× ${refName}`;
  const a = row.eventsPerSec?.median;
  const b = ref?.eventsPerSec?.median;
  if (a === undefined || b === undefined) return { target, actual: `${refName} not run`, met: undefined };
  const r = a / b;
  return { target, actual: `${r.toFixed(2)}×`, met: r >= factor };
}

function atLeast(value: number | undefined, min: number, what: string, unit: string): TargetCheck {
  const target = `${what} ≥ ${min.toLocaleString('en-US')} ${unit}`;
  if (value === undefined || Number.isNaN(value)) return { target, actual: 'no figure', met: false };
  return { target, actual: `${Math.round(value).toLocaleString('en-US')} ${unit}`, met: value >= min };
}

function below(value: number | undefined, max: number, what: string, unit: string): TargetCheck {
  const target = `${what} < ${max.toLocaleString('en-US')} ${unit}`;
  if (value === undefined || Number.isNaN(value)) return { target, actual: 'no figure', met: false };
  return { target, actual: `${value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US')} ${unit}`, met: value < max };
}

function noLoss(row: BenchRow, what = 'peer kept, no event lost'): TargetCheck {
  const lost = row.lost ?? 0;
  return { target: what, actual: lost === 0 ? 'none lost' : `${lost.toLocaleString('en-US')} lost/dropped`, met: lost === 0 };
}

/**
 * Context for a round-trip p99: the p99 of the raw echo (bench/raw-pipe.ts) at the same mode and
 * rate in the same run, i.e. what the machine gives a minimal Node echo. Only the text changes; the
 * judgement stays the target's.
 */
function withRawEcho(check: TargetCheck, row: BenchRow, rows: readonly BenchRow[]): TargetCheck {
  const raw = find(rows, 'raw-pipe', (r) => r.mode === row.mode && r.rate === row.rate && r.p99us !== undefined);
  const ms = (raw?.p99us?.median ?? NaN) / 1000;
  if (Number.isNaN(ms)) return check;
  return { ...check, actual: `${check.actual} (raw echo ${ms < 10 ? ms.toFixed(2) : Math.round(ms).toLocaleString('en-US')} ms)` };
}

/** The checks that apply to one row, given every row of the run. */
function checksFor(row: BenchRow, rows: readonly BenchRow[]): TargetCheck[] {
  const c = row.case;
  switch (row.bench) {
    case 'legacy-codec':
      // zlib rows include inflate/deflate: informational, the target is about the binary codec.
      if (c.startsWith('decode') && !c.includes('zlib')) {
        return [ratioCheck(row, find(rows, 'legacy-codec', (r) => r.case.startsWith('JSON.parse')), 'JSON.parse', 2)];
      }
      return [];
    case 'broker-codec':
      if (c.startsWith('bin v1 decode')) return [ratioCheck(row, find(rows, 'broker-codec', (r) => r.case.startsWith('JSON.parse')), 'JSON.parse', 2)];
      return [];
    case 'broker-peering':
      if (row.eventsPerSec !== undefined) {
        const raw = find(rows, 'raw-pipe', (r) => r.mode === row.mode && r.eventsPerSec !== undefined);
        const pct = raw?.eventsPerSec !== undefined ? (100 * row.eventsPerSec.median) / raw.eventsPerSec.median : undefined;
        return [
          atLeast(row.eventsPerSec.median, 150_000, 'sustained', 'events/s'),
          noLoss(row, 'peer never dropped'),
          pct === undefined
            ? { target: '≥ 50% of the raw pipe', actual: 'raw pipe not run', met: undefined }
            : { target: '≥ 50% of the raw pipe', actual: `${pct.toFixed(0)}%`, met: pct >= 50 },
        ];
      }
      if (row.rate === 10_000) return [withRawEcho(below((row.p99us?.median ?? NaN) / 1000, 1, 'p99', 'ms'), row, rows)];
      return [];
    case 'bridge':
      if (!c.startsWith('legacy → Broker')) return [];
      if (row.eventsPerSec !== undefined) return [atLeast(row.eventsPerSec.median, 100_000, 'end to end', 'events/s'), noLoss(row)];
      if (row.rate === 10_000) return [below((row.p99us?.median ?? NaN) / 1000, 2, 'p99', 'ms'), noLoss(row)];
      return [];
    case 'scale':
      // The target names 10,000 peers; the 1,000-peer row is held to the same bound.
      if (row.kibPerPeer !== undefined) return [below(row.kibPerPeer.median, 50, 'RSS/peer', 'KiB')];
      if (row.growthPct !== undefined) return [noLoss(row, 'no event lost'), below(row.growthPct.median, 10, 'growth', '%')];
      return [];
    default:
      return [];
  }
}

export function checkTargets(rows: readonly BenchRow[]): CheckedRow[] {
  return rows.map((r) => {
    const checks = checksFor(r, rows);
    return checks.length > 0 ? { ...r, checks } : { ...r };
  });
}
