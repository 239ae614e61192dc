// The envelope every message between relay nodes travels in: which node published it (so a
// node drops its own messages, which Redis echoes back to every subscriber) and the payload.
//
//   byte 0      version (1)
//   byte 1      length N of the node id in bytes (1..255)
//   bytes 2..   the node id (UTF-8), then the payload, unchanged (binary-safe)

export const ENVELOPE_VERSION = 1;

export interface Envelope {
  node: string;
  payload: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a node id once (the bus keeps the bytes and prepends them to every payload). */
export function nodeIdBytes(node: string): Uint8Array {
  const bytes = encoder.encode(node);
  if (bytes.length < 1 || bytes.length > 255) {
    throw new Error(`node id must be 1 to 255 bytes of UTF-8, got ${bytes.length}`);
  }
  return bytes;
}

export function encodeEnvelope(node: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + node.length + payload.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = node.length;
  out.set(node, 2);
  out.set(payload, 2 + node.length);
  return out;
}

/** The envelope in `bytes`, or null when it is not one of ours (wrong version, truncated). */
export function decodeEnvelope(bytes: Uint8Array): Envelope | null {
  if (bytes.length < 3 || bytes[0] !== ENVELOPE_VERSION) return null;
  const length = bytes[1] ?? 0;
  if (length === 0 || bytes.length < 2 + length) return null;
  let node: string;
  try {
    node = decoder.decode(bytes.subarray(2, 2 + length));
  } catch {
    return null;
  }
  return { node, payload: bytes.subarray(2 + length) };
}
