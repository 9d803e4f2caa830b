// Bad input on a live connection: garbage message type, wrong version, truncated chunk, zlib
// garbage, oversize chunk, a message before VERSION, malformed SERIAL. Each closes only that
// connection, with a logged reason and remote_connection_error; a well-behaved peer on the same
// listener keeps exchanging events throughout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import { countVal } from '../../legacy/codec/builders.ts';
import { LegacyStreamEncoder } from '../../legacy/codec/stream-encoder.ts';
import { makeVersion } from '../../legacy/codec/version.ts';
import type { LegacyMessage } from '../../legacy/codec/messages.ts';
import { startFramework, until, type Harness } from './framework-helpers.ts';

let b: Harness;
let a: Harness;
let round = 0;

test.before(async () => {
  b = await startFramework({ limits: { max_chunk_size: 64 * 1024 }, nodes: { a: { host: '127.0.0.1', events: '/^(ping)$/' } } });
  a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true, events: '/^(pong)$/' } } });
  await until(() => a.of('remote_event_registered').length === 1 && b.of('remote_event_registered').length === 1, 'good peers registered');
});

test.after(async () => {
  await a.fw.stop();
  await b.fw.stop();
});

/** The good pair still talks: one ping A -> B and one pong B -> A. */
async function stillTalking(): Promise<void> {
  round++;
  assert.is(a.fw.send_event('ping', [countVal(round)]), 1);
  assert.is(b.fw.send_event('pong', [countVal(round)]), 1);
  await until(() => b.of('remote_event').length === round && a.of('remote_event').length === round, `round ${round} of events`);
}

const enc = (...msgs: LegacyMessage[]): Buffer => {
  const e = new LegacyStreamEncoder();
  return Buffer.concat(msgs.map((m) => e.encode(m)));
};
const version = (protocol = 7): LegacyMessage => ({ ...makeVersion({ cacheSize: 1000 }), protocol });

interface Bad {
  socket: Socket;
  closed: () => boolean;
}

async function badPeer(): Promise<Bad> {
  const socket = connect({ host: '127.0.0.1', port: b.port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  socket.resume();
  return { socket, closed: () => closed };
}

async function expectRefused(send: (s: Socket) => void, reason: RegExp, established: boolean): Promise<void> {
  const errors = b.of('remote_connection_error').length;
  const closes = b.of('remote_connection_closed').length;
  const bad = await badPeer();
  send(bad.socket);
  await until(() => bad.closed(), 'the bad connection to be closed');
  await until(() => b.of('remote_connection_error').length === errors + 1, 'remote_connection_error');
  const [p, why] = b.of('remote_connection_error')[errors]!;
  assert.match(why, reason);
  assert.ok(b.log().includes(`error\t[#${p.id}/127.0.0.1:${p.p}] ${why}`), 'logged with the peer and the reason');
  await until(() => b.fw.peers().length === 1, 'only the good peer left');
  assert.is(b.of('remote_connection_closed').length, closes + (established ? 1 : 0));
  await stillTalking();
}

test('the good pair talks', stillTalking);

test('garbage message type after VERSION', () =>
  expectRefused((s) => s.write(Buffer.concat([enc(version()), Buffer.from('000000083000000000000000', 'hex')])), /message type 0x30 is not exchanged between peers/, true));

test('an internal message type (0x05 ERROR) as the very first message', () =>
  expectRefused((s) => s.write(Buffer.from('000000080500000000000000', 'hex')), /message type 0x05/, false));

test('a message before VERSION', () => expectRefused((s) => s.write(enc({ type: 'PHASE_DONE' })), /peer did not send version \(got PHASE_DONE\)/, false));

test('wrong protocol version', () => expectRefused((s) => s.write(enc(version(6))), /^remote protocol version mismatch: got 6, but expected 7$/, false));

test('truncated chunk: the peer closes in the middle of an argument chunk', () =>
  expectRefused((s) => {
    s.write(Buffer.concat([enc(version()), Buffer.from('00000008020000000000000000000064656565', 'hex')]));
    s.end();
  }, /connection closed inside a chunk|before the argument chunk/, true));

test('zlib garbage after COMPRESS', () =>
  expectRefused(
    (s) =>
      s.write(
        Buffer.concat([
          enc(version(), { type: 'CAPS', flags: 0x12, reserved: [0, 0] }, { type: 'PHASE_DONE' }, { type: 'COMPRESS' }),
          // A 40-byte "compressed" chunk that is not deflate data, trailer (LE) = 64.
          Buffer.from('0000002c' + 'ff'.repeat(40) + '40000000', 'hex'),
        ]),
      ),
    /inflate failed|zlib/,
    true,
  ));

test('oversize chunk (over the configured max_chunk_size)', () =>
  expectRefused((s) => s.write(Buffer.concat([enc(version()), Buffer.from('00000008020000000000000000100000', 'hex')])), /chunk of 1048576 bytes exceeds the limit of 65536/, true));

test('a malformed SERIAL (unknown kind)', () =>
  expectRefused((s) => s.write(Buffer.concat([enc(version(), { type: 'PHASE_DONE' }), Buffer.from('000000080200000000000000000000027a00', 'hex')])), /unsupported SERIAL kind 'z'/, true));

test('a second VERSION', () => expectRefused((s) => s.write(enc(version(), version())), /second VERSION/, true));

test.run();
