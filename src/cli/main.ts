// comm-bridge: the command-line entry point. Each verb lives in its own module and is loaded on
// demand so that `comm-bridge decode` does not pay for starting network code.

const USAGE = `usage: comm-bridge <command> [options]

commands:
  run [--config FILE]       run the bridge (default: the embedded loopback-only config);
                            SIGTERM/SIGINT stop it gracefully, SIGHUP reloads legacy.nodes
  status [--url URL | --config FILE] [--json]
                            peers of both worlds from a running bridge's status listener
                            (default http://127.0.0.1:27758)
  decode FILE               decode a capture (.jsonl transcript, .pcap, .pcapng)
                            [--protocol legacy|broker|websocket] [--strict] [--conn N]
                            [--keylog FILE]... decrypts TLS connections (NSS key log)
  record --listen PORT --target HOST:PORT --out FILE
                            recording TCP relay (JSON Lines transcript, --pcap FILE)
  replay FILE --to HOST:PORT
                            play a capture's client side against a live peer and compare
  help                      this text
`;

type Verb = (args: string[]) => Promise<number>;

const VERBS: Record<string, () => Promise<Verb>> = {
  run: async () => (await import('./run.ts')).runMain,
  status: async () => (await import('./status.ts')).statusMain,
  decode: async () => (await import('./decode.ts')).decodeMain,
  record: async () => (await import('./record.ts')).recordMain,
  replay: async () => (await import('./replay.ts')).replayMain,
};

export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    process.stdout.write(USAGE);
    return verb === undefined ? 2 : 0;
  }
  const load = VERBS[verb];
  if (!load) {
    process.stderr.write(`comm-bridge: unknown command '${verb}'\n${USAGE}`);
    return 2;
  }
  return (await load())(rest);
}
