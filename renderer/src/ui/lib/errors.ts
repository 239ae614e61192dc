// What a person reads when something fails (issue 12): plain words that say what to do, from
// ONE place. Whatever was thrown (a ModelError from core, an ApiError from the relay's HTTP API,
// an IndexedDB or socket failure) is logged in full (`console.warn`, which the desktop app writes
// to its log file: Help → Open Logs, and Copy Diagnostics names that file), and the person sees
// a sentence chosen by the error's code. A message already written for people (a data-layer
// sentence like "A deleted message cannot be pinned.") is shown as it is; developer text (an
// identifier prefix, a room name, a quoted value, a close code) never is.
import { MAX_MESSAGE_CHARS } from '../../../../core/src/model/checks';

/** Where it happened, for the fallback sentence ("Sending failed. …"). */
export type Doing =
  'send' | 'edit' | 'delete' | 'pin' | 'react' | 'load' | 'search' | 'save' | 'action';

const FAILED: Record<Doing, string> = {
  send: 'The message could not be sent.',
  edit: 'The change could not be saved.',
  delete: 'The message could not be deleted.',
  pin: 'The pin could not be changed.',
  react: 'The reaction could not be changed.',
  load: 'This could not be opened.',
  search: 'Search did not work this time.',
  save: 'That could not be saved.',
  action: 'That did not work.',
};

const RETRY = 'Try again; if it keeps happening, restart Ferry.';

/**
 * Whether a message reads as words for a person: a sentence (capital first, full stop last),
 * none of the marks of developer text.
 */
export function isPlainSentence(message: string): boolean {
  const m = message.trim();
  if (m.length === 0 || m.length > 300) return false;
  if (!/^[A-Z]/.test(m) || !/[.!?]$/.test(m)) return false;
  // `addMessage: …`, `conv/…/p12`, `"quoted"` values, `(4403: …)`, `{…}`, stack-ish words.
  if (/^[a-z][A-Za-z]*:/.test(m) || /^[A-Z][a-z]+[A-Z]\w*:/.test(m)) return false;
  if (/\b(conv|meta|inbox|dir)\/\S/.test(m) || /["{}`<>]|\(\d{3,4}\b/.test(m)) return false;
  if (/\b(undefined|null|NaN|TypeError|Error:|IndexedDB|IDB\w*|Y\.Doc|\w+\(\))/.test(m))
    return false;
  if (/\b[a-z]+[A-Z][a-zA-Z]*\b/.test(m)) return false; // camelCase identifiers
  return true;
}

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : '';
}

/**
 * The relay answers in lower-case clauses ("the last owner cannot step down: make someone else
 * owner first"): as a sentence. An `identifier:` prefix (core's `addMessage: …`) stays as it is,
 * so it is not taken for words.
 */
function asSentence(message: string): string {
  const m = message.trim();
  if (m === '' || /^[a-z][A-Za-z]*:/.test(m)) return m;
  const capital = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Writes the whole error to the log (the desktop app keeps renderer warnings in its log file). */
export function logError(context: string, e: unknown): void {
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  console.warn(`[ferry] ${context}: ${detail}`);
}

/** The plain sentence for anything thrown; the detail goes to the log. */
export function errorText(e: unknown, doing: Doing = 'action'): string {
  logError(doing, e);
  const code = codeOf(e);
  const message = messageOf(e);
  const words = asSentence(message);
  const tooLong = /(\w+) is \d+ characters, the limit is (\d+)/.exec(message);
  if (tooLong) {
    const [, what = '', limit = ''] = tooLong;
    if (what === 'text') {
      return `This message is longer than ${MAX_MESSAGE_CHARS.toLocaleString('en')} characters. Shorten it or split it into several messages.`;
    }
    return `The ${what} is too long: at most ${Number(limit).toLocaleString('en')} characters. Shorten it and try again.`;
  }
  switch (code) {
    case 'offline':
      return 'You are offline, and this needs the server. Try again when you are connected.';
    case 'unreachable':
      return "Can't reach the server right now. Check your connection and try again in a moment.";
    case 'session-ended':
    case 'unauthenticated':
      return 'Your session ended. Sign in again to do this.';
    case 'rate-limited':
      return 'Too many requests. Wait a moment, then try again.';
    case 'read-only':
      return 'This was written by a newer version of Ferry. Update Ferry to change it.';
  }
  if (isPlainSentence(words)) return words;
  switch (code) {
    case 'exists':
    case 'conflict':
      return `${FAILED[doing]} Someone changed it at the same time; ${RETRY.charAt(0).toLowerCase()}${RETRY.slice(1)}`;
  }
  switch (code) {
    case 'forbidden':
      return `You are not allowed to do this here. Ask an owner or moderator of the conversation.`;
    case 'not-found':
      return `${FAILED[doing]} It is no longer there, or not on this device yet. Wait for it to sync, then try again.`;
    default:
      return `${FAILED[doing]} ${RETRY}`;
  }
}

/**
 * A conversation's own trouble (the data layer's `error` of a view: an unreadable local copy,
 * a refusal by the relay): shown as the data layer words it when those are plain, else one
 * sentence; the detail is logged once per distinct text.
 */
const logged = new Set<string>();
export function conversationErrorText(error: string): string {
  if (!logged.has(error)) {
    logged.add(error);
    console.warn(`[ferry] conversation: ${error}`);
  }
  const sentences = error.split(/(?<=[.!?])\s+/);
  if (sentences.every(isPlainSentence)) return error;
  return 'Part of this conversation could not be read or sent from this device. Your changes are kept here. Restart Ferry; if it stays, use Help → Copy Diagnostics and send it to your administrator.';
}
