// `comm-bridge record --listen PORT --target HOST:PORT --out FILE [--pcap FILE] [--listen-host H]
//  [--name NAME] [--once]` — a recording relay; FILE ending in .pcap records a pcap instead of a
// transcript. Prints `listening HOST:PORT` once ready; stops on SIGINT/SIGTERM (or, with --once,
// after the first relayed connection has closed).
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { startRecorder } from '../core/capture/recorder.ts';
import { captureError } from '../core/capture/errors.ts';
import { cliError, defaultIo, parseHostPort, type CliIo } from './io.ts';

const USAGE = 'usage: comm-bridge record --listen PORT --target HOST:PORT --out FILE [--pcap FILE] [--listen-host HOST] [--name NAME] [--once]';

async function openFile(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  try {
    await once(stream, 'open');
  } catch (err) {
    throw captureError('file_unreadable', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  return stream;
}

async function closeFile(stream: WriteStream | undefined): Promise<void> {
  if (!stream) return;
  stream.end();
  await once(stream, 'finish');
}

export async function recordMain(args: string[], io: CliIo = defaultIo(), stop?: Promise<void>): Promise<number> {
  let out: WriteStream | undefined;
  let pcapOut: WriteStream | undefined;
  try {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          listen: { type: 'string' },
          'listen-host': { type: 'string' },
          target: { type: 'string' },
          out: { type: 'string' },
          pcap: { type: 'string' },
          name: { type: 'string' },
          once: { type: 'boolean' },
        },
      }));
    } catch (err) {
      throw captureError('usage', `${(err as Error).message}\n${USAGE}`);
    }
    if (values.listen === undefined || values.target === undefined || values.out === undefined) throw captureError('usage', USAGE);
    const listen = parseHostPort(values.listen, '--listen', values['listen-host'] ?? '127.0.0.1');
    const target = parseHostPort(values.target, '--target');
    const outIsPcap = /\.pcap$/i.test(values.out);
    const pcapPath = outIsPcap ? values.out : values.pcap;
    out = outIsPcap ? undefined : await openFile(values.out);
    pcapOut = pcapPath !== undefined ? await openFile(pcapPath) : undefined;
    let finishOnce: () => void = () => {};
    const firstDone = new Promise<void>((resolve) => (finishOnce = resolve));
    const recorder = await startRecorder({
      listenHost: values['listen-host'] ?? listen.host,
      listenPort: listen.port,
      target,
      ...(out ? { transcript: (line: string) => void out!.write(line) } : {}),
      ...(pcapOut ? { pcap: (bytes: Uint8Array) => void pcapOut!.write(bytes) } : {}),
      ...(values.name !== undefined ? { header: { capture: values.name } } : {}),
      onConnectionDone: () => finishOnce(),
    });
    io.stdout(`listening ${recorder.host.includes(':') ? `[${recorder.host}]` : recorder.host}:${recorder.port}\n`);
    let onSignal: () => void = () => {};
    const signals = new Promise<void>((resolve) => (onSignal = resolve));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await Promise.race([signals, ...(values.once ? [firstDone] : []), ...(stop ? [stop] : [])]);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await recorder.close();
    await closeFile(out);
    await closeFile(pcapOut);
    return 0;
  } catch (err) {
    await closeFile(out).catch(() => {});
    await closeFile(pcapOut).catch(() => {});
    return cliError('record', err, io);
  }
}
