// Forwarding (docs/messaging.md, "Forwarded messages"): what a forward stores of the message it
// forwards. The forwarder is the new message's author; the origin is quoted, as it is now.
import { MAX_LABEL_CHARS } from '../../../core/src/model/checks';
import { ModelError } from '../../../core/src/model/errors';
import type { ForwardRef } from '../../../core/src/model/forward';
import type { ForwardSource, ForwardView } from './api';

// eslint-disable-next-line no-control-regex -- control characters are what is replaced
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** One line, at most MAX_LABEL_CHARS (never cutting a surrogate pair). */
function label(text: string, fallback: string): string {
  let out = text.replace(CONTROL, ' ').trim();
  if (out.length > MAX_LABEL_CHARS) {
    out = out.slice(0, MAX_LABEL_CHARS);
    if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  }
  return out || fallback;
}

/**
 * The stored reference for a forward of `src`. Forwarding a forward that has no comment of its
 * own forwards its origin (one level, never a chain); with a comment, the forward itself is the
 * message forwarded (its comment is the text).
 */
export function forwardRefOf(src: ForwardSource): ForwardRef {
  const m = src.message;
  if (m.deleted) throw new ModelError('invalid', 'A deleted message cannot be forwarded.');
  if (m.forward && m.text.trim() === '') {
    const f = m.forward;
    return {
      conv: f.conversationId,
      msg: f.messageId,
      author: f.authorId,
      authorName: label(f.authorName, 'Someone'),
      title: label(f.title, ''),
      text: f.text,
      at: f.at,
    };
  }
  if (m.text.trim() === '') throw new ModelError('invalid', 'There is nothing to forward.');
  return {
    conv: src.conversationId,
    msg: m.id,
    author: m.authorId,
    authorName: label(m.authorName, 'Someone'),
    title: label(src.title, ''),
    text: m.text,
    at: m.createdAt,
  };
}

export function forwardView(f: ForwardRef): ForwardView {
  return {
    conversationId: f.conv,
    messageId: f.msg,
    authorId: f.author,
    authorName: f.authorName,
    title: f.title,
    text: f.text,
    at: f.at,
  };
}
