// `comm-bridge replay FILE --to HOST:PORT [--conn N] [--protocol NAME] [--pace] [--timeout MS]`
// Plays the client side of a captured connection against a live peer, decodes the peer's replies
// with the same protocol decoder and reports the first divergence from the captured server
// (exit 1) or "no divergence" (exit 0).
import { parseArgs } from 'node:util';
import { readCaptureFile } from '../core/capture/read.ts';
import { replayConnection } from '../core/capture/replayer.ts';
import { captureError } from '../core/capture/errors.ts';
import { stringifyJson } from '../core/json.ts';
import { decoderByName, detectDecoder } from './protocols.ts';
import { openingBytes } from './decode.ts';
import { cliError, defaultIo, parseConn, parseHostPort, type CliIo } from './io.ts';

const USAGE = 'usage: comm-bridge replay FILE --to HOST:PORT [--conn N] [--protocol legacy|broker|websocket] [--pace] [--timeout MS]';

export async function replayMain(args: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: { to: { type: 'string' }, conn: { type: 'string' }, protocol: { type: 'string' }, pace: { type: 'boolean' }, timeout: { type: 'string' } },
      });
    } catch (err) {
      throw captureError('usage', `${(err as Error).message}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || values.to === undefined) throw captureError('usage', USAGE);
    const to = parseHostPort(values.to, '--to');
    const timeout = values.timeout !== undefined ? Number(values.timeout) : 5000;
    if (!Number.isFinite(timeout) || timeout <= 0) throw captureError('usage', `--timeout expects milliseconds, got '${values.timeout}'`, { field: '--timeout' });
    const explicit = values.protocol !== undefined ? decoderByName(values.protocol) : undefined;
    const capture = await readCaptureFile(positionals[0]!);
    const conns = [...new Set(capture.records.filter((r) => r.kind === 'data').map((r) => r.conn))];
    const conn = values.conn !== undefined ? parseConn(values.conn) : conns[0];
    if (conn === undefined || !conns.includes(conn)) throw captureError('no_such_connection', `connection ${values.conn ?? 0} has no data in ${positionals[0]}`, { field: '--conn' });
    const opening = openingBytes(capture.records, conn);
    const decoder = explicit ?? detectDecoder(opening.c2s, opening.s2c);
    if (!decoder) throw captureError('unknown_protocol', `cannot tell the protocol of connection ${conn}; pass --protocol`, { field: '--protocol' });
    io.stdout(`replaying conn ${conn} of ${positionals[0]} (${decoder.protocol}) to ${values.to}\n`);
    const result = await replayConnection({ capture, conn, decoder, to, pace: values.pace ?? false, replyTimeoutMs: timeout });
    io.stdout(`sent ${result.bytesSent} bytes; peer sent ${result.actual.length} message(s), capture has ${result.expected.length}\n`);
    const d = result.divergence;
    if (!d) {
      io.stdout('no divergence\n');
      await io.flush();
      return 0;
    }
    io.stdout(`divergence at server message #${d.index}: ${d.reason}\n`);
    if (d.expected) io.stdout(`  expected ${stringifyJson(d.expected)}\n`);
    if (d.actual) io.stdout(`  actual   ${stringifyJson(d.actual)}\n`);
    await io.flush();
    return 1;
  } catch (err) {
    return cliError('replay', err, io);
  }
}
