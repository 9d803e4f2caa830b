// Write coalescing: ws writes every frame with its own cork()/uncork() pair, which costs one
// writev per message. Holding an outer cork until the end of the current tick folds a burst of
// messages into one syscall, without delaying a lone message past the tick it was sent in.
import type { Writable } from 'node:stream';

/** Returns a function to call before each write; the first call of a tick corks, nextTick uncorks. */
export function tickCorker(stream: Writable): () => void {
  let corked = false;
  const release = () => {
    corked = false;
    stream.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    stream.cork();
    process.nextTick(release);
  };
}
