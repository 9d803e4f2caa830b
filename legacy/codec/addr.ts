// Address text <-> 32-bit words, rendered the way Bro prints them (glibc inet_ntop): dotted quad
// for addresses sent as one word, RFC 5952 style for four words, with the IPv4-mapped (::ffff:a.b.c.d)
// and IPv4-compatible (::a.b.c.d) forms in mixed notation. parseAddr is the exact inverse, so
// an address decodes and re-encodes to the same word count and bytes.

const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const DEC_DOT: readonly string[] = DEC.map((d) => `${d}.`);

export function formatV4(word: number): string {
  return DEC_DOT[word >>> 24]! + DEC_DOT[(word >>> 16) & 0xff]! + DEC_DOT[(word >>> 8) & 0xff]! + DEC[word & 0xff]!;
}

export function formatV6(w0: number, w1: number, w2: number, w3: number): string {
  const words = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) (bestBase = i), (bestLen = j - i);
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      return out + formatV4(w3);
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

function parseV4(text: string): number | undefined {
  let word = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return undefined;
      word = word * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      part = part * 10 + (c - 0x30);
      if (part > 255) return undefined;
      digits++;
    } else return undefined;
  }
  if (digits === 0 || dots !== 3) return undefined;
  return (word * 256 + part) >>> 0;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseV4(p);
      if (v4 === undefined) return undefined;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
  }
  return out;
}

/** Words of an address text: one for dotted IPv4, four for IPv6. undefined if not an address. */
export function parseAddr(text: string): number[] | undefined {
  if (!text.includes(':')) {
    const v4 = parseV4(text);
    return v4 === undefined ? undefined : [v4];
  }
  let groups: number[];
  const dbl = text.indexOf('::');
  if (dbl === -1) {
    const g = parseGroups(text);
    if (g === undefined || g.length !== 8) return undefined;
    groups = g;
  } else {
    if (text.indexOf('::', dbl + 1) !== -1) return undefined;
    const head = parseGroups(text.slice(0, dbl));
    const tail = parseGroups(text.slice(dbl + 2));
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push(((groups[i]! << 16) | groups[i + 1]!) >>> 0);
  return words;
}

/** Split "addr/width" into words and width. */
export function parseSubnet(text: string): { words: number[]; width: number } | undefined {
  const slash = text.lastIndexOf('/');
  if (slash === -1) return undefined;
  const words = parseAddr(text.slice(0, slash));
  const widthText = text.slice(slash + 1);
  if (words === undefined || !/^-?\d+$/.test(widthText)) return undefined;
  const width = Number(widthText);
  if (width < -0x8000_0000 || width > 0x7fff_ffff) return undefined;
  return { words, width };
}
