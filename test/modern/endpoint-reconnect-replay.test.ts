// The native-reconnect capture with the endpoint as the dialling client (retry 1 s on a manual
// clock): handshake and ticks on conn 0, the server goes away, an immediate re-dial and three more
// once per retry interval all fail (peer_unavailable each), ticks published meanwhile are dropped,
// then a fresh handshake with a new server id on conn 1, ticks from 8 on, and the BYE at the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { fromHex } from '../../src/core/json.ts';
import { PeerStatus } from '../../modern/constants.ts';
import { count } from '../../modern/data/index.ts';
import { Endpoint } from '../../modern/endpoint/index.ts';
import { decodeEnvelope } from '../../modern/native/index.ts';
import { referenceFrames, type ReferenceFrame } from './broker-fixtures.ts';
import { FrameSocket, RawServer, names, record, waitFor } from './endpoint-helpers.ts';

const CLIENT = '47940f1e-0f6d-5173-8a1d-645c2dc06ef6';
const SERVER0 = '079f782f-2cd5-5246-9b4c-3d01b9549f01';
const SERVER1 = '9f1bbdde-0cfc-5bb2-8cbf-e7ba5bfe99a9';
const TICK = '/bridge/test/tick';

async function play(ep: Endpoint, sock: FrameSocket, frames: ReferenceFrame[]): Promise<Promise<boolean> | undefined> {
  let unpeer: Promise<boolean> | undefined;
  for (const f of frames) {
    const bytes = fromHex(f.frame_hex);
    if (f.dir === 's2c') {
      sock.write(bytes);
      continue;
    }
    if (f.msg === 'data' || f.msg === 'ping') await waitFor(() => ep.peers().some((p) => p.status === PeerStatus.PEERED), 3000, 'the peering');
    if (f.msg === 'data') {
      const env = decodeEnvelope(bytes.subarray(4));
      assert.is(env.type, 'data');
      if (env.type === 'data') assert.is(ep.publish(env.topic, env.value), 1, `tick at t=${f.t} goes out`);
    } else if (f.msg === 'ping') {
      unpeer = ep.unpeer(f['receiver'] as string);
    }
    assert.is(await sock.nextHex(), f.frame_hex, `${f.msg} at t=${f.t}`);
  }
  return unpeer;
}

test('native-reconnect: the dialling endpoint re-dials, reports each failure and resumes without replaying', async () => {
  const frames = referenceFrames('native-reconnect');
  const clock = new ManualClock();
  const server = new RawServer();
  const port = await server.listen();
  const ep = new Endpoint({ node_id: CLIENT, disable_ssl: true, clock, env: {} });
  const events = record(ep);
  try {
    const peered = ep.peer('127.0.0.1', port, 1);
    const conn0 = await server.accept();
    await play(ep, conn0, frames.filter((f) => f.conn === 0));
    assert.is(await peered, true);
    assert.equal(ep.peers(), [{ peer: { id: SERVER0, network: { address: '127.0.0.1', bound_port: port, retry: 1 } }, status: PeerStatus.PEERED, outbound: true }]);
    assert.ok(ep.isOutboundPeering('127.0.0.1', port));

    // The server process dies: EOF without BYE, and nobody listens for a while.
    server.refuse = true;
    conn0.destroy();
    await waitFor(() => events.filter((e) => e.kind === 'error').length === 1, 3000, 'the immediate re-dial to fail');
    assert.equal(names(events), [`endpoint_discovered ${SERVER0.slice(0, 8)}`, `peer_added ${SERVER0.slice(0, 8)}`, `peer_lost ${SERVER0.slice(0, 8)}`, `endpoint_unreachable ${SERVER0.slice(0, 8)}`, 'peer_unavailable 00000000']);
    assert.equal(ep.peers(), [{ peer: { id: SERVER0, network: { address: '127.0.0.1', bound_port: port, retry: 1 } }, status: PeerStatus.RECONNECTING, outbound: true }]);
    for (let k = 4; k <= 7; k++) {
      assert.is(ep.publish(TICK, count(k)), 0, `tick ${k} while disconnected reaches nobody`);
      if (k === 7) break;
      const before = server.refused;
      clock.advance(999);
      await new Promise((r) => setTimeout(r, 20));
      assert.is(server.refused, before, 'no attempt before the retry interval');
      clock.advance(1);
      await waitFor(() => events.filter((e) => e.kind === 'error').length === k - 2, 3000, `failed attempt ${k - 2}`);
    }
    assert.is(server.refused, 4, 'the immediate re-dial and three retries');
    const err = events.find((e) => e.kind === 'error')!;
    assert.equal([err.code, err.message, err.address, err.port], [4, 'unable to connect to remote peer', '127.0.0.1', port]);

    // The server is back with a new id: the next retry gets a full handshake.
    server.refuse = false;
    clock.advance(1000);
    const conn1 = await server.accept();
    const unpeer = await play(ep, conn1, frames.filter((f) => f.conn === 1));
    assert.ok(unpeer, 'the capture ends with our BYE');
    assert.is(await unpeer, true);
    await conn1.whenClosed();
    const s0 = SERVER0.slice(0, 8);
    const s1 = SERVER1.slice(0, 8);
    assert.equal(names(events), [
      `endpoint_discovered ${s0}`,
      `peer_added ${s0}`,
      `peer_lost ${s0}`,
      `endpoint_unreachable ${s0}`,
      'peer_unavailable 00000000',
      'peer_unavailable 00000000',
      'peer_unavailable 00000000',
      'peer_unavailable 00000000',
      `endpoint_discovered ${s1}`,
      `peer_added ${s1}`,
      `peer_removed ${s1}`,
      `endpoint_unreachable ${s1}`,
    ]);
    assert.equal(ep.peers(), [], 'unpeer cancelled the request');
    assert.not.ok(ep.isOutboundPeering('127.0.0.1', port));
  } finally {
    await ep.shutdown();
    await server.close();
  }
});

test.run();
