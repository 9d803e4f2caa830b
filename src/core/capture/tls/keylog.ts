// NSS key-log files (what SSLKEYLOGFILE, OpenSSL's keylog callback and Node's 'keylog' event
// write): one `LABEL <client random> <secret>` per line, both in hex. Only the labels needed to
// decrypt are kept; the others (EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET, RSA ...) are checked
// for shape and skipped.
import { tlsError, tlsLimits, type TlsLimits } from './errors.ts';

/** The secrets of one session, keyed in the log by its ClientHello random. */
export interface SessionSecrets {
  /** TLS 1.2 and earlier: the 48-byte master secret (`CLIENT_RANDOM`). */
  masterSecret?: Uint8Array;
  clientHandshakeTrafficSecret?: Uint8Array;
  serverHandshakeTrafficSecret?: Uint8Array;
  clientTrafficSecret0?: Uint8Array;
  serverTrafficSecret0?: Uint8Array;
}

export type SecretName = keyof SessionSecrets;

/** Key-log label → where the secret goes. */
export const KEYLOG_LABELS: Readonly<Record<string, SecretName>> = {
  CLIENT_RANDOM: 'masterSecret',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshakeTrafficSecret',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshakeTrafficSecret',
  CLIENT_TRAFFIC_SECRET_0: 'clientTrafficSecret0',
  SERVER_TRAFFIC_SECRET_0: 'serverTrafficSecret0',
};

/** The label a secret is logged under, for messages naming what is missing. */
export function keyLogLabel(name: SecretName): string {
  return Object.entries(KEYLOG_LABELS).find(([, n]) => n === name)![0];
}

export class KeyLog {
  /** Lower-case hex client random → secrets. */
  readonly sessions = new Map<string, SessionSecrets>();
  private entries = 0;
  private readonly limit: number;

  constructor(limits: Partial<TlsLimits> = {}) {
    this.limit = tlsLimits(limits).maxKeyLogEntries;
  }

  /** Secrets for a ClientHello random (32 bytes). */
  lookup(clientRandom: Uint8Array): SessionSecrets | undefined {
    return this.sessions.get(Buffer.from(clientRandom.buffer, clientRandom.byteOffset, clientRandom.length).toString('hex'));
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Adds one secret. A secret already known for the same session is kept: both peers of a capture
   * often log the same lines, and a conflicting second value cannot be told right from wrong here.
   */
  add(clientRandomHex: string, name: SecretName, secret: Uint8Array): void {
    const key = clientRandomHex.toLowerCase();
    let s = this.sessions.get(key);
    if (!s) {
      if (this.entries >= this.limit) throw tlsError('limit_exceeded', `key log holds more than ${this.limit} sessions`, { field: 'maxKeyLogEntries' });
      this.entries++;
      this.sessions.set(key, (s = {}));
    }
    s[name] ??= secret;
  }

  /** Adds every session of another key log (for `--keylog A --keylog B`). */
  merge(other: KeyLog): this {
    for (const [random, secrets] of other.sessions) {
      for (const [name, secret] of Object.entries(secrets) as [SecretName, Uint8Array][]) this.add(random, name, secret);
    }
    return this;
  }
}

const LABEL = /^[A-Z][A-Z0-9_]*$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * Parses the text of an NSS key log. Blank lines and `#` comments are skipped; any other line
 * that is not three fields (label, hex, hex) is a `keylog_malformed` error naming its line number.
 */
export function parseKeyLog(text: string, options: { limits?: Partial<TlsLimits>; name?: string; into?: KeyLog } = {}): KeyLog {
  const limits = tlsLimits(options.limits);
  const log = options.into ?? new KeyLog(limits);
  const where = options.name !== undefined ? `${options.name}:` : 'line ';
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.length > limits.maxKeyLogLineBytes) {
      throw tlsError('limit_exceeded', `key log ${where}${lineNo} is longer than ${limits.maxKeyLogLineBytes} bytes`, { field: 'maxKeyLogLineBytes' });
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const bad = (why: string) => tlsError('keylog_malformed', `key log ${where}${lineNo}: ${why}`, { field: `keylog line ${lineNo}` });
    if (fields.length !== 3) throw bad(`expected 'LABEL <client random hex> <secret hex>', got ${fields.length} field(s)`);
    const [label, random, secret] = fields as [string, string, string];
    if (!LABEL.test(label)) throw bad(`'${label.slice(0, 40)}' is not a key-log label`);
    if (!HEX.test(random) || !HEX.test(secret)) throw bad('the second and third fields must be hex');
    const name = KEYLOG_LABELS[label];
    if (name === undefined) continue;
    if (random.length !== 64) throw bad(`a client random is 32 bytes, this one is ${random.length / 2}`);
    const bytes = Buffer.from(secret, 'hex');
    if (name === 'masterSecret' ? bytes.length !== 48 : bytes.length !== 32 && bytes.length !== 48) {
      throw bad(`${label} secret of ${bytes.length} bytes (expected ${name === 'masterSecret' ? '48' : '32 or 48'})`);
    }
    log.add(random, name, new Uint8Array(bytes));
  }
  return log;
}
