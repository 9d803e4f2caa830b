// The project's test command. uvu's own summary has no failed count and one hung socket in one
// file would hang a single-process run, so each *.test.ts file runs in its own process with a
// deadline, and a file whose process does not exit after its summary (a leaked socket or timer)
// counts as a failure. The last line printed is always `N passed, N failed`.
//
//   npm test                      type-check, then every test file
//   npm test -- legacy codec      only files whose path contains one of the words (no type-check)
//   npm test -- --no-typecheck
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FILE_DEADLINE_MS = Number(process.env['TEST_FILE_TIMEOUT_MS'] ?? 180_000);
const EXIT_GRACE_MS = 5_000;
const PARALLEL = Math.max(1, Math.min(Number(process.env['TEST_JOBS'] ?? 2), cpus().length));

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  problem?: string;
  ms: number;
}

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

// uvu writes ANSI colours unless told not to; strip any that slip through before parsing.
const ANSI = /\x1b\[[0-9;]*m/g;

function summaryOf(output: string): { total: number; passed: number; skipped: number } | undefined {
  const text = output.replace(ANSI, '');
  const total = /Total:\s+(\d+)/.exec(text);
  const passed = /Passed:\s+(\d+)/.exec(text);
  const skipped = /Skipped:\s+(\d+)/.exec(text);
  if (!total || !passed) return undefined;
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: Number(skipped?.[1] ?? 0) };
}

/** The failing tests of a file's uvu output: `"title": first line of the message`, in order. */
function failuresOf(output: string): string[] {
  const lines = output.replace(ANSI, '').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*FAIL\s+(".*")\s*$/.exec(lines[i]!);
    if (!m) continue;
    const message = lines.slice(i + 1).find((l) => l.trim() !== '')?.trim() ?? '';
    out.push(`${m[1]}: ${message}`);
  }
  return out;
}

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, NODE_DISABLE_COLORS: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let problem: string | undefined;
    let exitTimer: NodeJS.Timeout | undefined;
    const kill = (why: string) => {
      problem ??= why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const deadline = setTimeout(() => kill(`did not finish within ${FILE_DEADLINE_MS / 1000} s`), FILE_DEADLINE_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (exitTimer === undefined && /Duration:/.test(output)) {
        exitTimer = setTimeout(
          () => kill(`summary printed but the process did not exit within ${EXIT_GRACE_MS / 1000} s (leaked socket or timer?)`),
          EXIT_GRACE_MS,
        );
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (exitTimer) clearTimeout(exitTimer);
      const summary = summaryOf(output);
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      if (summary) {
        passed = summary.passed;
        skipped = summary.skipped;
        failed = summary.total - summary.passed;
      }
      if (!summary) problem ??= `no uvu summary (exit ${code ?? signal})`;
      else if (code !== 0 && failed === 0) problem ??= `exited with ${code ?? signal}`;
      if (problem) failed += 1;
      resolve({ file: relative(ROOT, file), passed, failed, skipped, output, ms: Date.now() - started, ...(problem ? { problem } : {}) });
    });
  });
}

function typecheck(): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '--noEmit', '-p', ROOT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('close', (code) => {
      const ok = code === 0;
      resolve({ file: 'tsc --noEmit', passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, output, ms: Date.now() - started, ...(ok ? {} : { problem: 'type errors' }) });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const filters = args.filter((a) => !a.startsWith('--'));
  const skipTypecheck = args.includes('--no-typecheck') || filters.length > 0;
  const files = findTests(join(ROOT, 'test')).filter((f) => filters.length === 0 || filters.some((w) => relative(ROOT, f).includes(w)));

  const results: FileResult[] = [];
  const pending = [...files];
  const started = Date.now();
  const typecheckRun = skipTypecheck ? undefined : typecheck();
  const workers = Array.from({ length: PARALLEL }, async () => {
    for (let file = pending.shift(); file !== undefined; file = pending.shift()) {
      const result = await runFile(file);
      results.push(result);
      const mark = result.failed === 0 ? 'ok  ' : 'FAIL';
      process.stdout.write(`${mark} ${result.file}  (${result.passed} passed, ${result.failed} failed, ${(result.ms / 1000).toFixed(1)} s)\n`);
      if (result.failed > 0) {
        process.stdout.write(result.output.replace(ANSI, '').replace(/^/gm, '    | ') + '\n');
        if (result.problem) process.stdout.write(`    ! ${result.problem}\n`);
      }
    }
  });
  await Promise.all(workers);
  if (typecheckRun) {
    const tc = await typecheckRun;
    results.push(tc);
    process.stdout.write(`${tc.failed === 0 ? 'ok  ' : 'FAIL'} ${tc.file}  (${(tc.ms / 1000).toFixed(1)} s)\n`);
    if (tc.failed > 0) process.stdout.write(tc.output.replace(/^/gm, '    | ') + '\n');
  }

  // A recap next to the totals, so a CI log cut to its tail still names each failing file and why.
  const failedFiles = results.filter((r) => r.failed > 0);
  if (failedFiles.length > 0) {
    process.stdout.write(`\nfailed files:\n`);
    for (const r of failedFiles) {
      process.stdout.write(`  ${r.file}${r.problem ? `  (${r.problem})` : ''}\n`);
      for (const f of failuresOf(r.output).slice(0, 5)) process.stdout.write(`    x ${f.length > 300 ? `${f.slice(0, 300)}...` : f}\n`);
    }
  }

  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  process.stdout.write(`\n${results.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 || results.length === 0 ? 1 : 0;
}

await main();
