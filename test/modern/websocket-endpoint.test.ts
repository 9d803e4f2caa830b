// WebSocket clients and native Broker peers in one topic space: our WebSocket server sits on a real
// Endpoint, a second Endpoint peers with it natively over loopback, and every type crosses between
// a WebSocket client and the native peer in both directions — in plaintext, and with wss (a
// certificate made by the test) plus the native peering in Broker's default anonymous TLS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeData, equalsData, str, type Data } from '../../modern/data/index.ts';
import { Endpoint } from '../../modern/endpoint/index.ts';
import { peekEnvelope } from '../../modern/native/index.ts';
import { WebSocketClient, WebSocketServer } from '../../modern/websocket/index.ts';
import { payloadOf, referenceFrames } from './broker-fixtures.ts';
import { eventually } from './websocket-helpers.ts';
import { pkiFiles } from '../pki.ts';

const generated = pkiFiles(undefined, 'websocket-endpoint-pki-');

const VALUES: { topic: string; value: Data }[] = referenceFrames('websocket-native-leg')
  .filter((f) => f.msg === 'data' && f.dir === 'c2s')
  .map((f) => peekEnvelope(payloadOf(f)))
  .map((e) => ({ topic: e.topic.replace('/bridge/ws/', ''), value: decodeData(e.body) }));

for (const tls of [false, true]) {
  test(`a WebSocket client and a native peer exchange every type through one endpoint (${tls ? 'wss + anonymous TLS' : 'plaintext'})`, async () => {
    const hub = new Endpoint({ disable_ssl: !tls, node_id: '77777777-7777-5777-8777-777777777777' });
    const native = new Endpoint({ disable_ssl: !tls });
    const tls_options = { cert_file: generated.path('node-b.pem'), key_file: generated.path('node-b.key') };
    const server = await WebSocketServer.listen(hub, { listen_port: 0, ping_interval: 0, ...(tls ? { tls_options } : {}) });
    assert.match(server.url, tls ? /^wss:\/\// : /^ws:\/\//);
    const client = new WebSocketClient({ url: server.url, subscriptions: ['/to-ws/'], reconnect: false, ...(tls ? { tls: { ca_file: generated.path('ca.pem') } } : {}) });
    try {
      const port = await hub.listen('127.0.0.1', 0);
      native.subscribe('/from-ws/');
      const fromWs: { topic: string; value: Data; hop: string }[] = [];
      native.on('data', (topic, value, origin) => fromWs.push({ topic, value, hop: origin.hop }));
      assert.ok(await native.peer('127.0.0.1', port, 0));
      await eventually(() => hub.peers().length === 1 && native.peers().length === 1, 'peering');

      const toWs: { topic: string; value: Data }[] = [];
      let probes = 0;
      client.on('data', (topic, value) => (topic === '/to-ws/probe' ? probes++ : toWs.push({ topic, value })));
      await client.connect();
      // The client's subscription reaches the native peer as part of the hub's filter (a
      // routing_update on the wire); probe until the native side sends the topic.
      assert.ok(hub.filter.includes('/to-ws/'));
      await eventually(() => {
        if (probes > 0) return true;
        native.publish('/to-ws/probe', str('probe'));
        return false;
      }, 'filter announced to the native peer');

      for (const v of VALUES) native.publish(`/to-ws/${v.topic}`, v.value);
      await eventually(() => toWs.length === VALUES.length, `native → WebSocket (${toWs.length}/${VALUES.length})`);
      VALUES.forEach((v, i) => {
        assert.is(toWs[i]!.topic, `/to-ws/${v.topic}`);
        assert.ok(equalsData(toWs[i]!.value, v.value), v.topic);
      });

      for (const v of VALUES) client.publish(`/from-ws/${v.topic}`, v.value);
      await eventually(() => fromWs.length === VALUES.length, `WebSocket → native (${fromWs.length}/${VALUES.length})`);
      VALUES.forEach((v, i) => {
        assert.is(fromWs[i]!.topic, `/from-ws/${v.topic}`);
        assert.ok(equalsData(fromWs[i]!.value, v.value), v.topic);
        assert.is(fromWs[i]!.hop, hub.nodeId, 'sender on the native wire is the server endpoint');
      });

      // The client never gets its own publication back, even on a topic it subscribes to.
      client.publish('/to-ws/echo', str('mine'));
      native.publish('/to-ws/after', str('theirs'));
      await eventually(() => toWs.length === VALUES.length + 1, 'one more from native');
      assert.is(toWs.at(-1)!.topic, '/to-ws/after');
    } finally {
      await client.close();
      await server.close();
      await native.shutdown();
      await hub.shutdown();
    }
  });
}

test.after(() => generated.cleanup());

test.run();
