// Forwarded messages (schema 3; docs/messaging.md, "Forwarded messages"). A forward is a new
// message written by the forwarder into another conversation: its author is the forwarder (the
// relay binds it to the sender as for every message), and it carries a quoted reference to the
// origin in its `forward` field: where it came from, who wrote it and the text as it was then.
// The origin's text is copied (the readers of the target may not be members of the origin), so
// it counts toward the message's size limit with the forwarder's comment.
import { isId } from '../ids';
import { isHlc } from '../hlc';
import { MAX_LABEL_CHARS, MAX_MESSAGE_CHARS, isWellFormed } from './checks';
import { check } from './errors';

/** The schema version that introduced `forward`. */
export const FORWARD_VERSION = 3;

/** What a message's `forward` field holds: a plain object with exactly these keys. */
export interface ForwardRef {
  /** The origin's conversation id. */
  conv: string;
  /** The origin message's id (a clock id). */
  msg: string;
  /** Who wrote the origin (a user id): quoted, never the forward's author. */
  author: string;
  /** Their display name when it was forwarded (the reader may not know them). */
  authorName: string;
  /** The origin conversation's title when it was forwarded; '' for a direct message. */
  title: string;
  /** The origin's text when it was forwarded. */
  text: string;
  /** When the origin was written (ms). */
  at: number;
}

const FORWARD_KEYS = ['conv', 'msg', 'author', 'authorName', 'title', 'text', 'at'] as const;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const LABEL_FORBIDDEN = /[\u0000-\u001f\u007f]/;

function labelOk(x: unknown, allowEmpty: boolean): boolean {
  return (
    typeof x === 'string' &&
    (allowEmpty || x.trim().length > 0) &&
    x.length <= MAX_LABEL_CHARS &&
    !LABEL_FORBIDDEN.test(x) &&
    isWellFormed(x)
  );
}

/**
 * Why `value` is not a valid `forward` field, or null. `text` is the forwarding message's own
 * text (the comment): the two together stay within MAX_MESSAGE_CHARS.
 */
export function forwardProblem(value: unknown, text: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'forward must be a plain object';
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return 'forward must be a plain object';
  const f = value as Record<string, unknown>;
  const keys = Object.keys(f);
  for (const k of keys) {
    if (!(FORWARD_KEYS as readonly string[]).includes(k)) return `forward has an unknown key`;
  }
  if (keys.length !== FORWARD_KEYS.length) return `forward needs ${FORWARD_KEYS.join(', ')}`;
  if (!isId(f.conv)) return 'forward.conv must be a conversation id';
  if (!isHlc(f.msg)) return 'forward.msg must be a clock id';
  if (!isId(f.author)) return 'forward.author must be a user id';
  if (!labelOk(f.authorName, false)) return 'forward.authorName must be a name (one line)';
  if (!labelOk(f.title, true)) return 'forward.title must be a title (one line) or empty';
  const t = f.text;
  if (typeof t !== 'string' || t.trim() === '') return 'forward.text must be text';
  if (!isWellFormed(t)) return 'forward.text holds a lone UTF-16 surrogate';
  if (t.length + text.length > MAX_MESSAGE_CHARS) {
    return `the comment and the forwarded text are longer than ${MAX_MESSAGE_CHARS} together`;
  }
  if (typeof f.at !== 'number' || !Number.isFinite(f.at) || f.at < 0) {
    return 'forward.at must be a time';
  }
  return null;
}

/** Checks a forward for a writer (throws `ModelError` 'invalid'); returns a clean copy. */
export function checkForward(value: unknown, text: string, fn: string): ForwardRef {
  const problem = forwardProblem(value, text);
  check(problem === null, `${fn}: ${problem ?? ''}`);
  const f = value as ForwardRef;
  return {
    conv: f.conv,
    msg: f.msg,
    author: f.author,
    authorName: f.authorName,
    title: f.title,
    text: f.text,
    at: f.at,
  };
}

/** Reads a stored `forward` (null when absent or not valid: a reader never shows a bad one). */
export function readForward(value: unknown, text: string): ForwardRef | null {
  if (value === undefined || value === null) return null;
  return forwardProblem(value, text) === null ? { ...(value as ForwardRef) } : null;
}
