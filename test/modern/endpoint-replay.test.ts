// Replays the native captures against a live endpoint over loopback, in the role of either side:
// the endpoint gets the captured endpoint id and filter of "its" side, the test plays the other side
// frame by frame and asserts every frame the endpoint sends byte for byte. Frames the endpoint sends
// on its own (handshake, pongs) must simply appear; for data and routing updates the test makes the
// endpoint publish / subscribe exactly what the capture shows, and for the BYE ping it unpeers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerStatus } from '../../modern/constants.ts';
import { equalsData, type Data } from '../../modern/data/index.ts';
import { Endpoint } from '../../modern/endpoint/index.ts';
import { decodeEnvelope, filterMatches } from '../../modern/native/index.ts';
import { fromHex } from '../../src/core/json.ts';
import { referenceFrames, type ReferenceFrame } from './broker-fixtures.ts';
import { FrameSocket, RawServer, connectRaw, names, record, waitFor } from './endpoint-helpers.ts';

type Role = 'acceptor' | 'connector';

interface Outcome {
  /** The walk reached the end of the capture's connection. */
  complete: boolean;
  /** Frames the endpoint sent that were compared. */
  compared: number;
}

function ourFrames(frames: ReferenceFrame[], role: Role): ReferenceFrame[] {
  return frames.filter((f) => f.dir === (role === 'acceptor' ? 's2c' : 'c2s'));
}

/** Values of the peer's data frames the endpoint should deliver to its subscription. */
function expectedDeliveries(frames: ReferenceFrame[], role: Role, filter: readonly string[]): Data[] {
  const out: Data[] = [];
  for (const f of frames) {
    if (f.dir === (role === 'acceptor' ? 's2c' : 'c2s') || f.msg !== 'data') continue;
    try {
      const env = decodeEnvelope(fromHex(f.frame_hex).subarray(4));
      if (env.type === 'data' && filterMatches(filter, env.topic)) out.push(env.value);
    } catch {
      // undecodable on purpose (rawclient's bad frames): Broker drops them, so must we
    }
  }
  return out;
}

async function walk(ep: Endpoint, sock: FrameSocket, frames: ReferenceFrame[], role: Role, label: string): Promise<Outcome & { unpeer?: Promise<boolean> }> {
  const mine = role === 'acceptor' ? 's2c' : 'c2s';
  let compared = 0;
  let unpeer: Promise<boolean> | undefined;
  for (const f of frames) {
    const bytes = fromHex(f.frame_hex);
    if (f.dir !== mine) {
      sock.write(bytes);
      continue;
    }
    if (f.msg === 'data' || f.msg === 'routing_update' || f.msg === 'ping' || f.msg === 'command') {
      // Actions need the peering up on our side (a responder completes on the originator's ack).
      await waitFor(() => ep.peers().some((p) => p.status === PeerStatus.PEERED), 3000, `${label}: peering`);
    }
    if (f.msg === 'data') {
      let env;
      try {
        env = decodeEnvelope(bytes.subarray(4));
      } catch {
        return { complete: false, compared };
      }
      if (env.type !== 'data') return { complete: false, compared };
      assert.is(ep.publish(env.topic, env.value), 1, `${label}: publish ${env.topic} reaches the peer`);
    } else if (f.msg === 'routing_update') {
      for (const t of f['filter'] as string[]) if (!ep.filter.includes(t)) ep.subscribe(t);
    } else if (f.msg === 'ping') {
      if (f['bye_token'] !== true) return { complete: false, compared };
      unpeer = ep.unpeer(f['receiver'] as string);
    } else if (f.msg === 'command') {
      return { complete: false, compared };
    }
    assert.is(await sock.nextHex(), f.frame_hex, `${label}: ${f.msg} at t=${f.t}`);
    compared++;
  }
  return { complete: true, compared, ...(unpeer ? { unpeer } : {}) };
}

async function replay(capture: string, conn: number, role: Role): Promise<Outcome> {
  const frames = referenceFrames(capture).filter((f) => f.conn === conn);
  const mine = ourFrames(frames, role);
  const theirs = frames.filter((f) => !mine.includes(f));
  const ourId = mine.find((f) => f.msg === 'hello' || f.msg === 'version_select')?.['sender'] as string | undefined;
  const peerId = theirs.find((f) => f.msg === 'hello' || f.msg === 'version_select')?.['sender'] as string | undefined;
  assert.ok(ourId, `${capture}/${conn}: our id`);
  const syn = mine.find((f) => f.msg === 'originator_syn' || f.msg === 'responder_syn_ack');
  const filter = (syn?.['filter'] as string[] | undefined) ?? [];
  const label = `${capture}/${conn} as ${role}`;

  const ep = new Endpoint({ node_id: ourId, disable_ssl: true, env: {} });
  const events = record(ep);
  const delivered: Data[] = [];
  ep.on('data', (_topic, value) => delivered.push(value));
  for (const t of filter) ep.subscribe(t);
  assert.equal([...ep.filter], filter, `${label}: announced filter`);

  let server: RawServer | undefined;
  let sock: FrameSocket;
  let peered: Promise<boolean> | undefined;
  if (role === 'acceptor') {
    sock = await connectRaw(await ep.listen('127.0.0.1', 0, 0));
  } else {
    server = new RawServer();
    const port = await server.listen();
    peered = ep.peer('127.0.0.1', port, 0);
    sock = await server.accept();
  }
  try {
    const out = await walk(ep, sock, frames, role, label);
    if (!out.complete) return out;
    const expected = expectedDeliveries(frames, role, filter);
    await waitFor(() => delivered.length >= expected.length, 3000, `${label}: deliveries`);
    assert.is(delivered.length, expected.length, `${label}: delivered count`);
    expected.forEach((v, i) => assert.ok(equalsData(delivered[i]!, v), `${label}: delivery ${i}`));
    if (!peerId) return out;
    if (peered) assert.is(await peered, true, `${label}: peer() resolved`);
    const short = peerId.slice(0, 8);
    if (out.unpeer) {
      // We sent the BYE, the test answered with the captured pong: the endpoint closes the connection.
      assert.is(await out.unpeer, true);
      await sock.whenClosed();
      assert.equal(names(events), [`endpoint_discovered ${short}`, `peer_added ${short}`, `peer_removed ${short}`, `endpoint_unreachable ${short}`], label);
    } else {
      sock.destroy();
      await waitFor(() => events.length >= 4, 3000, `${label}: peer_lost`);
      assert.equal(names(events), [`endpoint_discovered ${short}`, `peer_added ${short}`, `peer_lost ${short}`, `endpoint_unreachable ${short}`], label);
    }
    assert.equal(ep.peers(), [], `${label}: no peers left`);
    return out;
  } finally {
    sock.destroy();
    await ep.shutdown();
    await server?.close();
  }
}

const CASES: [capture: string, conn: number, roles: Role[], complete: boolean][] = [
  ['native-nodes-connector-originates', 0, ['acceptor', 'connector'], true],
  ['native-nodes-acceptor-originates', 0, ['acceptor', 'connector'], true],
  ['native-alltypes', 0, ['acceptor', 'connector'], true],
  ['native-rawclient-interop', 0, ['acceptor'], true],
  ['native-tls-certs.plain', 0, ['acceptor', 'connector'], true],
  ['native-reconnect', 0, ['acceptor'], true],
  ['native-reconnect', 1, ['acceptor'], true],
  ['websocket-native-leg', 0, ['acceptor', 'connector'], true],
  // Store traffic: the handshake half only (the test does not run a store). The raw client's
  // filter is not in Broker's sorted form, which an endpoint never announces, so it is not replayed.
  ['native-store-master-clone', 0, ['acceptor', 'connector'], false],
  ['native-store-master-clone', 2, ['acceptor', 'connector'], false],
];

for (const [capture, conn, roles, complete] of CASES) {
  for (const role of roles) {
    test(`${capture} conn ${conn}: the endpoint as ${role} answers byte for byte`, async () => {
      const out = await replay(capture, conn, role);
      assert.is(out.complete, complete, 'walked to the end');
      assert.ok(out.compared >= 2, `compared ${out.compared} frames`);
    });
  }
}

test('native-tls-certs.plain conn 3: a client that stops after hello gets probe + hello and no peering', async () => {
  const frames = referenceFrames('native-tls-certs.plain').filter((f) => f.conn === 3);
  const ep = new Endpoint({ node_id: '99999999-9999-5999-9999-999999999999', disable_ssl: true, env: {} });
  const events = record(ep);
  const sock = await connectRaw(await ep.listen('127.0.0.1', 0, 0));
  try {
    sock.write(fromHex(frames[0]!.frame_hex));
    assert.is(await sock.nextHex(), frames[1]!.frame_hex);
    assert.is(await sock.nextHex(), frames[2]!.frame_hex);
    sock.destroy();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(events, [], 'a plain disconnect during the handshake is no error');
    assert.equal(ep.peers(), []);
  } finally {
    await ep.shutdown();
  }
});

test.run();
