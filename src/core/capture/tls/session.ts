// A passive TLS session: both directions of one recorded connection in, the plaintext each side
// sent out. It follows the handshake only as far as record protection needs (hellos, Change-
// CipherSpec, Finished, KeyUpdate); keys come from an NSS key log, nothing is verified.
import type { Direction } from '../types.ts';
import { isBridgeError } from '../../errors.ts';
import { TLS13_MAX_CIPHERTEXT, MAX_PLAINTEXT, TlsError, tlsError, tlsLimits, type TlsLimits } from './errors.ts';
import { HandshakeAssembler, RecordFramer, type HandshakeMessage, type TlsRecord } from './framing.ts';
import {
  HANDSHAKE_CLIENT_HELLO,
  HANDSHAKE_FINISHED,
  HANDSHAKE_KEY_UPDATE,
  HANDSHAKE_SERVER_HELLO,
  parseClientHello,
  parseServerHello,
  type ClientHello,
  type ServerHello,
} from './hellos.ts';
import { hashLength } from './kdf.ts';
import { keyLogLabel, type KeyLog, type SecretName, type SessionSecrets } from './keylog.ts';
import {
  CONTENT_ALERT,
  CONTENT_APPLICATION_DATA,
  CONTENT_CHANGE_CIPHER_SPEC,
  CONTENT_HANDSHAKE,
  Tls13Decrypter,
  tls12Decrypter,
  tls12KeyBlock,
  type OpenedRecord,
  type RecordDecrypter,
} from './record-protection.ts';
import { cipherSuite, suiteName, TLS12, TLS13, versionName, type CipherSuite } from './suites.ts';

export type TlsEvent =
  /** Application data one side sent, at the capture time of its record. */
  | { kind: 'data'; dir: Direction; t: number; bytes: Uint8Array }
  | { kind: 'alert'; dir: Direction; t: number; level: number; description: number }
  /** The direction cannot be decrypted (no key, unsupported suite); nothing more comes from it. */
  | { kind: 'undecrypted'; dir: Direction; t: number; reason: string }
  /** The direction failed (bad record, failed authentication); nothing more comes from it. */
  | { kind: 'error'; dir: Direction; t: number; error: TlsError };

export interface TlsSessionInfo {
  clientRandom?: Uint8Array;
  /** Negotiated version (0x0303, 0x0304); set once the ServerHello is seen. */
  version?: number;
  cipherSuite?: number;
  /** TLS 1.2 CBC suites: RFC 7366 encrypt-then-MAC was negotiated. */
  encryptThenMac?: boolean;
}

interface Side {
  readonly role: 'client' | 'server';
  framer: RecordFramer;
  handshake: HandshakeAssembler;
  decrypter: RecordDecrypter | undefined;
  /** TLS 1.2: keys that take effect at this side's next ChangeCipherSpec. */
  pending: RecordDecrypter | undefined;
  /** Why this side's protected records cannot be opened. */
  blocked: string | undefined;
  /** From now on this side's records are protected (TLS 1.3 after ServerHello, TLS 1.2 after ChangeCipherSpec). */
  protected: boolean;
  /** Where the current keys come from, for messages: `CLIENT_TRAFFIC_SECRET_0`, `CLIENT_RANDOM`. */
  keyLabel: string;
  /** TLS 1.3: switched from handshake to application traffic keys. */
  application: boolean;
  stopped: boolean;
}

export interface TlsSessionOptions {
  /** Without a key log every protected record is reported undecrypted, with the reason. */
  keyLog?: KeyLog;
  limits?: Partial<TlsLimits>;
}

export class TlsSession {
  readonly info: TlsSessionInfo = {};
  private readonly limits: TlsLimits;
  private readonly keyLog: KeyLog | undefined;
  private readonly sides: Record<Direction, Side>;
  private clientHello: ClientHello | undefined;
  private suite: CipherSuite | undefined;
  private secrets: SessionSecrets | undefined;
  private events: TlsEvent[] = [];
  private t = 0;

  constructor(options: TlsSessionOptions = {}) {
    this.limits = tlsLimits(options.limits);
    this.keyLog = options.keyLog;
    const side = (role: Side['role']): Side => ({
      role,
      framer: new RecordFramer(this.limits),
      handshake: new HandshakeAssembler(this.limits),
      decrypter: undefined,
      pending: undefined,
      blocked: undefined,
      protected: false,
      keyLabel: '',
      application: false,
      stopped: false,
    });
    this.sides = { c2s: side('client'), s2c: side('server') };
  }

  /** Bytes one side sent; returns what they completed, in order. */
  push(dir: Direction, bytes: Uint8Array, t: number): TlsEvent[] {
    const side = this.sides[dir];
    this.events = [];
    if (side.stopped) return this.events;
    try {
      for (const record of side.framer.push(bytes, t)) {
        this.t = record.t;
        this.record(dir, side, record);
        if (side.stopped) return this.events;
      }
      if (side.framer.failure) this.fail(dir, side, side.framer.failure, t);
    } catch (err) {
      this.fail(dir, side, err);
    }
    return this.events;
  }

  /** That side closed; a record it left unfinished is reported. */
  end(dir: Direction, t: number): TlsEvent[] {
    const side = this.sides[dir];
    this.events = [];
    if (!side.stopped && side.framer.pending > 0) {
      this.fail(dir, side, tlsError('truncated', `the stream ended inside a TLS record (${side.framer.pending} byte(s) of it seen)`, { field: 'TLSPlaintext' }), t);
    }
    side.stopped = true;
    return this.events;
  }

  /** `TLS 1.3 TLS_AES_256_GCM_SHA384` as far as known. */
  describe(): string {
    const { version, cipherSuite: suite } = this.info;
    if (version === undefined) return 'TLS';
    return suite === undefined ? versionName(version) : `${versionName(version)} ${suiteName(suite)}`;
  }

  private fail(dir: Direction, side: Side, err: unknown, t = this.t): void {
    side.stopped = true;
    const error =
      err instanceof TlsError
        ? err
        : isBridgeError(err)
          ? tlsError(err.code === 'truncated' || err.code === 'limit_exceeded' ? err.code : 'record_malformed', err.message, { cause: err })
          : tlsError('record_malformed', String((err as Error)?.message ?? err), { cause: err });
    this.events.push({ kind: 'error', dir, t, error });
  }

  private record(dir: Direction, side: Side, record: TlsRecord): void {
    if (record.type === CONTENT_CHANGE_CIPHER_SPEC && (!side.protected || this.info.version === TLS13)) {
      // TLS 1.3 sends it in the clear, only for middlebox compatibility; before TLS 1.3 this
      // side's next records use the keys the hellos negotiated.
      if (this.info.version !== undefined && this.info.version !== TLS13) this.changeCipherSpec(side);
      return;
    }
    let type = record.type;
    let content = record.fragment;
    if (side.protected) {
      if (!side.decrypter) {
        side.stopped = true;
        this.events.push({ kind: 'undecrypted', dir, t: this.t, reason: side.blocked ?? `${this.describe()}: no keys` });
        return;
      }
      if (this.info.version === TLS13 && record.fragment.length > TLS13_MAX_CIPHERTEXT) {
        throw tlsError('record_overflow', `TLS 1.3 record of ${record.fragment.length} bytes exceeds ${TLS13_MAX_CIPHERTEXT}`, { field: 'TLSCiphertext.length', offset: record.offset });
      }
      const opened = this.open(side, record);
      type = opened.type;
      content = opened.plaintext;
      if (content.length > MAX_PLAINTEXT) throw tlsError('record_overflow', `plaintext of ${content.length} bytes exceeds ${MAX_PLAINTEXT}`, { field: 'TLSInnerPlaintext', offset: record.offset });
    } else if (type === CONTENT_APPLICATION_DATA) {
      throw this.clearApplicationData(dir, record);
    }
    if (type === CONTENT_APPLICATION_DATA) {
      if (content.length > 0) this.events.push({ kind: 'data', dir, t: this.t, bytes: content });
    } else if (type === CONTENT_HANDSHAKE) {
      for (const msg of side.handshake.push(content)) this.handshake(dir, side, msg);
    } else if (type === CONTENT_ALERT) {
      for (let i = 0; i + 1 < content.length; i += 2) this.events.push({ kind: 'alert', dir, t: this.t, level: content[i]!, description: content[i + 1]! });
    } else if (type === CONTENT_CHANGE_CIPHER_SPEC) {
      // Only TLS 1.2 renegotiation sends a protected ChangeCipherSpec; TLS 1.3 never does.
      if (this.info.version === TLS13) throw tlsError('unexpected_message', 'ChangeCipherSpec inside protected TLS 1.3 records', { field: 'ContentType', offset: record.offset });
      this.changeCipherSpec(side);
    }
    // Heartbeat (24) carries nothing to decode.
  }

  private open(side: Side, record: TlsRecord): OpenedRecord {
    const decrypter = side.decrypter!;
    const seq = decrypter.seq;
    try {
      return decrypter.open(record.header, record.fragment);
    } catch (err) {
      if (!(err instanceof TlsError)) throw err;
      const hint = err.code === 'decrypt_failed' ? ' (wrong key in the key log, or a corrupted capture)' : '';
      const updates = decrypter instanceof Tls13Decrypter && decrypter.updates > 0 ? ` after ${decrypter.updates} KeyUpdate(s)` : '';
      throw tlsError(err.code, `${side.role} record ${seq} under the ${side.keyLabel} key${updates} ${err.message}${hint}`, {
        field: err.field ?? 'TLSCiphertext',
        offset: record.offset,
        cause: err,
      });
    }
  }

  private changeCipherSpec(side: Side): void {
    side.protected = true;
    side.decrypter = side.pending;
    side.pending = undefined;
  }

  private clearApplicationData(dir: Direction, record: TlsRecord): TlsError {
    if (dir === 'c2s' && this.info.version === undefined && this.clientHello?.earlyData) {
      return tlsError('unsupported', 'TLS 1.3 early data (0-RTT) is not decrypted', { field: 'early_data', offset: record.offset });
    }
    return tlsError('unexpected_message', 'application data before the handshake set up keys', { field: 'ContentType', offset: record.offset });
  }

  private handshake(dir: Direction, side: Side, msg: HandshakeMessage): void {
    if (msg.type === HANDSHAKE_CLIENT_HELLO && dir === 'c2s') {
      this.clientHello = parseClientHello(msg.body);
      this.info.clientRandom = this.clientHello.random;
      this.secrets = this.keyLog?.lookup(this.clientHello.random);
    } else if (msg.type === HANDSHAKE_SERVER_HELLO && dir === 's2c') {
      this.serverHello(parseServerHello(msg.body));
    } else if (msg.type === HANDSHAKE_FINISHED && this.info.version === TLS13 && !side.application) {
      if (!side.handshake.idle) throw tlsError('unexpected_message', 'Finished does not end its record', { field: 'Finished' });
      side.application = true;
      side.decrypter = this.tls13Decrypter(side, side.role === 'client' ? 'clientTrafficSecret0' : 'serverTrafficSecret0');
    } else if (msg.type === HANDSHAKE_KEY_UPDATE && this.info.version === TLS13 && side.application && side.decrypter instanceof Tls13Decrypter) {
      side.decrypter.update();
    }
  }

  private serverHello(hello: ServerHello): void {
    this.info.version = hello.version;
    this.info.cipherSuite = hello.cipherSuite;
    this.info.encryptThenMac = hello.encryptThenMac;
    if (hello.helloRetryRequest) return;
    if (hello.version === TLS13) for (const s of Object.values(this.sides)) s.protected = true;
    const both = (reason: string) => {
      for (const s of Object.values(this.sides)) s.blocked = reason;
    };
    if (!this.clientHello) return both(`${this.describe()}: the ClientHello was not captured, so its client random is unknown`);
    const suite = cipherSuite(hello.cipherSuite);
    if (hello.version !== TLS13 && hello.version !== TLS12) return both(`${versionName(hello.version)} is not decrypted (only TLS 1.2 and 1.3)`);
    if (!suite || suite.tls13 !== (hello.version === TLS13)) return both(`${this.describe()}: cipher suite ${suiteName(hello.cipherSuite)} is not decrypted`);
    if (hello.compression !== 0) return both(`${this.describe()}: TLS compression (method ${hello.compression}) is not supported`);
    this.suite = suite;
    if (hello.version === TLS13) {
      this.sides.c2s.decrypter = this.tls13Decrypter(this.sides.c2s, 'clientHandshakeTrafficSecret');
      this.sides.s2c.decrypter = this.tls13Decrypter(this.sides.s2c, 'serverHandshakeTrafficSecret');
      return;
    }
    const master = this.secrets?.masterSecret;
    if (!master) return both(this.missing('masterSecret'));
    const keys = tls12KeyBlock(suite, master, this.clientHello.random, hello.random);
    // A renegotiation's new keys wait for the next ChangeCipherSpec like the first ones.
    this.sides.c2s.keyLabel = this.sides.s2c.keyLabel = 'CLIENT_RANDOM';
    this.sides.c2s.pending = tls12Decrypter(suite, keys.client, hello.encryptThenMac);
    this.sides.s2c.pending = tls12Decrypter(suite, keys.server, hello.encryptThenMac);
  }

  private tls13Decrypter(side: Side, name: SecretName): RecordDecrypter | undefined {
    const secret = this.secrets?.[name];
    const need = hashLength(this.suite!.hash);
    if (!secret || secret.length !== need) {
      side.blocked = secret ? `${this.describe()}: ${keyLogLabel(name)} has ${secret.length} bytes, ${suiteName(this.suite!.id)} needs ${need}` : this.missing(name);
      return undefined;
    }
    side.blocked = undefined;
    side.keyLabel = keyLogLabel(name);
    return new Tls13Decrypter(this.suite!, secret);
  }

  private missing(name: SecretName): string {
    const random = Buffer.from(this.clientHello!.random).toString('hex');
    if (!this.keyLog) return `${this.describe()}: no key log given (--keylog FILE), client random ${random}`;
    if (!this.secrets) return `${this.describe()}: no key for client random ${random}`;
    return `${this.describe()}: no ${keyLogLabel(name)} for client random ${random}`;
  }
}
