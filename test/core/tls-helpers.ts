// Building TLS byte streams for the decryption tests: hello messages, records, and TLS 1.3 records
// sealed with node:crypto under a chosen traffic secret (the real-capture tests cover the peers).
import { createCipheriv, randomBytes } from 'node:crypto';
import { trafficKeys, nextTrafficSecret } from '../../src/core/capture/tls/kdf.ts';
import { cipherSuite } from '../../src/core/capture/tls/suites.ts';

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}

export function handshake(type: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

function extension(type: number, data: Uint8Array): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}

export function clientHello(random: Uint8Array, options: { earlyData?: boolean } = {}): Buffer {
  const exts = Buffer.concat([extension(43, Buffer.from([4, 3, 4, 3, 3])), ...(options.earlyData ? [extension(42, new Uint8Array(0))] : [])]);
  const body = Buffer.concat([u16(0x0303), random, Buffer.from([0]), u16(4), u16(0x1301), u16(0x1302), Buffer.from([1, 0]), u16(exts.length), exts]);
  return handshake(1, body);
}

export const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export function serverHello(options: { random?: Uint8Array; version: number; suite: number; encryptThenMac?: boolean; compression?: number }): Buffer {
  const exts = Buffer.concat([
    ...(options.version === 0x0304 ? [extension(43, u16(0x0304))] : []),
    ...(options.encryptThenMac ? [extension(22, new Uint8Array(0))] : []),
  ]);
  const body = Buffer.concat([
    u16(options.version === 0x0304 ? 0x0303 : options.version),
    options.random ?? randomBytes(32),
    Buffer.from([0]),
    u16(options.suite),
    Buffer.from([options.compression ?? 0]),
    u16(exts.length),
    exts,
  ]);
  return handshake(2, body);
}

export function record(type: number, body: Uint8Array, version = 0x0303): Buffer {
  return Buffer.concat([Buffer.from([type, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff]), body]);
}

/** One direction's TLS 1.3 record protection, the sending side of what the decoder opens. */
export class Tls13Sealer {
  private seq = 0;
  private key: Uint8Array;
  private iv: Uint8Array;
  constructor(
    private readonly suiteId: number,
    private secret: Uint8Array,
  ) {
    const suite = cipherSuite(suiteId)!;
    ({ key: this.key, iv: this.iv } = trafficKeys(suite.hash, secret, suite.keyLength));
  }

  seal(innerType: number, content: Uint8Array, padding = 0): Buffer {
    const suite = cipherSuite(this.suiteId)!;
    const inner = Buffer.concat([content, Buffer.from([innerType]), Buffer.alloc(padding)]);
    const nonce = Buffer.from(this.iv);
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(BigInt(this.seq++));
    for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seq[i]!;
    const header = Buffer.from([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
    const c = createCipheriv(suite.cipher as 'aes-128-gcm', this.key, nonce, { authTagLength: 16 });
    c.setAAD(header, { plaintextLength: inner.length });
    const body = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
    return Buffer.concat([header, body]);
  }

  /** What sending a KeyUpdate does to this side's keys. */
  update(): void {
    const suite = cipherSuite(this.suiteId)!;
    this.secret = nextTrafficSecret(suite.hash, this.secret);
    ({ key: this.key, iv: this.iv } = trafficKeys(suite.hash, this.secret, suite.keyLength));
    this.seq = 0;
  }
}

/** Random secrets for one TLS 1.3 session and their NSS key-log text. */
export function tls13Secrets(clientRandom: Uint8Array, length = 32) {
  const s = {
    clientHandshake: randomBytes(length),
    serverHandshake: randomBytes(length),
    client0: randomBytes(length),
    server0: randomBytes(length),
  };
  const r = hex(clientRandom);
  const keylog = [
    `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${r} ${hex(s.clientHandshake)}`,
    `SERVER_HANDSHAKE_TRAFFIC_SECRET ${r} ${hex(s.serverHandshake)}`,
    `CLIENT_TRAFFIC_SECRET_0 ${r} ${hex(s.client0)}`,
    `SERVER_TRAFFIC_SECRET_0 ${r} ${hex(s.server0)}`,
  ].join('\n');
  return { ...s, keylog };
}
