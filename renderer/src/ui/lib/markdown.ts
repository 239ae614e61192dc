// The markdown subset of message bodies: bold, italic, strike, inline code, code blocks, links
// (and bare URLs), lists and quotes, with GFM line breaks. Everything else is text.
//
// Two lines of defence, both allowlists:
// 1. marked is configured so raw HTML never passes: the HTML tokenizers are off, so `<b>x</b>`
//    is text and is escaped like any text. Headings, rules, tables and link definitions are off
//    too (they show as the characters typed). Link and image hrefs are checked here (http,
//    https, mailto; no credentials) before an <a> is written; anything else stays text.
// 2. DOMPurify then keeps only ALLOWED_TAGS and, per tag, the attributes in ALLOWED_ATTRS, and
//    every <a> gets rel="noopener noreferrer" target="_blank".
//
// Images are not fetched: `![alt](url)` becomes a link labelled with its alt text. A message
// cannot make the app load a remote resource (no tracking pixel, nothing that fails offline),
// and rows never change height after they were measured by the virtual list.
//
// Rendering is cached per text (LRU), so a re-mounted row costs a Map lookup.
import DOMPurify from 'dompurify';
import { Marked, type Token, type Tokens } from 'marked';
import { MAX_MESSAGE_CHARS } from '../../../../core/src/model/checks';
import { mentionAt, usernameIndex, type MentionMember } from '../../../../core/src/model/mentions';

/** Tags the rendered HTML may contain. */
export const ALLOWED_TAGS: readonly string[] = [
  'p',
  'br',
  'strong',
  'em',
  'del',
  'code',
  'pre',
  'a',
  'ul',
  'ol',
  'li',
  'blockquote',
  'span',
];

/** Attributes allowed, per tag. */
export const ALLOWED_ATTRS: Readonly<Record<string, readonly string[]>> = {
  a: ['href', 'rel', 'target'],
  ol: ['start'],
  span: ['class'],
};

/** The only class values a <span> may carry: a mention, and one that names me (or everyone). */
export const MENTION_CLASSES: readonly string[] = ['mention', 'mention mention-me'];

/**
 * Who may be mentioned where a text is rendered: the conversation's members and me. Make one per
 * member list (it is part of the render cache key); `mentionContext(members, myId)`.
 */
export interface MentionContext {
  readonly key: string;
  readonly names: ReadonlyMap<string, string>;
  readonly me: string | null;
}

export function mentionContext(
  members: readonly MentionMember[],
  me: string | null,
): MentionContext {
  const names = usernameIndex(members);
  const key = `${me ?? ''}|${[...names.keys()].sort().join(',')}`;
  return { key, names, me };
}

/** The context of the text being rendered now (marked runs synchronously). */
let mentions: MentionContext | null = null;

interface MentionToken {
  type: 'mention';
  raw: string;
  mine: boolean;
}

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const URI_PATTERN = /^(?:https?:|mailto:)/i;

/**
 * The href to write for a link the message asks for, or null when it must stay text:
 * http and https with a host and no credentials (the desktop shell refuses those), mailto
 * with an address. Returns the URL normalized by the URL parser.
 */
export function safeLinkHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (!LINK_PROTOCOLS.has(url.protocol)) return null;
  if (url.protocol === 'mailto:') return url.pathname.length > 0 ? url.href : null;
  if (url.hostname.length === 0 || url.username !== '' || url.password !== '') return null;
  return url.href;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes every character that means something in HTML text or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const off = (): undefined => undefined;

const marked = new Marked({
  async: false,
  extensions: [
    {
      // `@username` of a member, `@channel`, `@here` (core/src/model/mentions.ts rules): a
      // <span class="mention">, never inside a link's text; code and URLs never reach here.
      name: 'mention',
      level: 'inline',
      start(src: string) {
        if (mentions === null) return undefined;
        const at = src.indexOf('@');
        return at < 0 ? undefined : at;
      },
      tokenizer(src: string, tokens: Token[]): MentionToken | undefined {
        if (mentions === null || src[0] !== '@' || this.lexer.state.inLink) return undefined;
        const before = tokens.at(-1)?.raw.slice(-1) ?? '';
        const m = mentionAt(before + src, before.length, mentions.names);
        if (m === null) return undefined;
        return { type: 'mention', raw: m.raw, mine: m.channel || m.id === mentions.me };
      },
      renderer(token) {
        const cls = (token as unknown as MentionToken).mine ? 'mention mention-me' : 'mention';
        return `<span class="${cls}">${escapeHtml(token.raw)}</span>`;
      },
    },
  ],
  gfm: true,
  breaks: true,
  pedantic: false,
  silent: false,
  tokenizer: {
    // Not in the subset: written as text. A tokenizer returning undefined (not false) means
    // "no match here" and marked moves on, down to the paragraph.
    heading: off,
    lheading: off,
    hr: off,
    html: off,
    def: off,
    table: off,
    tag: off,
  },
  renderer: {
    // Text is escaped completely, entities included: "&amp;" shows as typed, like "<b>".
    text(token) {
      if ('tokens' in token && token.tokens) return this.parser.parseInline(token.tokens);
      // An inline text token's text has character references decoded ("&#x3C;" is "<"); its
      // raw is what was typed. Show that, as "&amp;" is shown.
      return escapeHtml(token.type === 'text' ? token.raw : token.text);
    },
    codespan({ text }) {
      return `<code>${escapeHtml(text)}</code>`;
    },
    code({ text }) {
      return `<pre><code>${escapeHtml(text)}</code></pre>\n`;
    },
    html({ text }) {
      return escapeHtml(text);
    },
    checkbox({ checked }) {
      return checked ? '[x] ' : '[ ] ';
    },
    link({ href, tokens, raw }) {
      // A bare "www." host: marked links it as http://; Ferry has always opened https.
      const target =
        /^www\./i.test(raw) && href.startsWith('http://') ? `https://${href.slice(7)}` : href;
      const safe = safeLinkHref(target);
      if (safe === null) return escapeHtml(raw);
      return anchor(safe, this.parser.parseInline(tokens));
    },
    image({ href, text, raw }) {
      const safe = safeLinkHref(href);
      if (safe === null) return escapeHtml(raw);
      return anchor(safe, escapeHtml(text.length > 0 ? text : safe));
    },
    heading({ raw }) {
      return `<p>${escapeHtml(raw)}</p>\n`;
    },
    hr({ raw }) {
      return `<p>${escapeHtml(raw)}</p>\n`;
    },
    table({ raw }) {
      return `<p>${escapeHtml(raw)}</p>\n`;
    },
  },
});

function anchor(href: string, inner: string): string {
  return `<a href="${escapeHtml(href)}" rel="noopener noreferrer" target="_blank">${inner}</a>`;
}

type Purifier = ReturnType<typeof DOMPurify>;
let purifier: Purifier | null | undefined;

/** DOMPurify bound to this window, with Ferry's hooks; null where there is no DOM. */
function getPurifier(): Purifier | null {
  if (purifier !== undefined) return purifier;
  if (typeof window === 'undefined') return (purifier = null);
  const p = DOMPurify(window);
  if (!p.isSupported) return (purifier = null);
  p.addHook('uponSanitizeAttribute', (node, data) => {
    const allowed = ALLOWED_ATTRS[node.nodeName.toLowerCase()];
    if (!allowed?.includes(data.attrName)) data.keepAttr = false;
    else if (data.attrName === 'class' && !MENTION_CLASSES.includes(data.attrValue)) {
      data.keepAttr = false;
    }
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName !== 'A') return;
    const href = node.getAttribute('href');
    if (href === null || safeLinkHref(href) === null) node.removeAttribute('href');
    node.setAttribute('rel', 'noopener noreferrer');
    node.setAttribute('target', '_blank');
  });
  return (purifier = p);
}

/** The second line of defence: only the allowlisted tags and attributes survive. */
export function sanitize(html: string): string {
  const p = getPurifier();
  // Fail closed: with no DOM to sanitize with, show the markup as text.
  if (p === null) return escapeHtml(html);
  return p.sanitize(html, {
    ALLOWED_TAGS: [...ALLOWED_TAGS],
    ALLOWED_ATTR: ['href', 'rel', 'target', 'start', 'class'],
    // Every allowed attribute's value must match this, except the URI-safe ones: start="3".
    ALLOWED_URI_REGEXP: URI_PATTERN,
    ADD_URI_SAFE_ATTR: ['start'],
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    KEEP_CONTENT: true,
    RETURN_DOM: false,
    RETURN_DOM_FRAGMENT: false,
    RETURN_TRUSTED_TYPE: false,
  });
}

/**
 * Deepest quote/list nesting rendered as markdown. marked recurses once per level (a line of
 * ten thousand `>` overflows the stack), and no one writes 32 levels by hand: a message
 * nested deeper is shown as plain text instead.
 */
export const MAX_NESTING = 32;

const CONTAINER_PREFIX = /^(?:[ \t]*(?:>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))+/;
const MARKER = />|[-+*]|\d{1,9}[.)]/g;

/** The deepest quote/list nesting a line of `text` may open: its markers plus its indent / 2. */
export function nestingDepth(text: string): number {
  let deepest = 0;
  for (const line of text.split('\n')) {
    const prefix = CONTAINER_PREFIX.exec(line)?.[0] ?? '';
    const markers = prefix.match(MARKER)?.length ?? 0;
    const indent = /^[ \t]*/.exec(line)?.[0].replace(/\t/g, '    ').length ?? 0;
    deepest = Math.max(deepest, markers + Math.floor(indent / 2));
  }
  return deepest;
}

/**
 * Most runs of emphasis delimiters (outside code blocks) rendered as markdown. marked matches
 * closers against openers in time quadratic in their number, intraword `_` included: 3 300
 * unmatched `*` took close to a second in Chromium, 800 take about a tenth of that. A message
 * with more is shown as plain text.
 */
export const MAX_DELIMITER_RUNS = 800;

const DELIMITER_RUN = /\*+|~+|_+/g;
const FENCED = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[`~]*[ \t]*$|(?![\s\S]))/gm;

/** How many runs of `*`, `_` and `~` the text has outside fenced code blocks. */
export function delimiterRuns(text: string): number {
  let n = 0;
  for (const _ of text.replace(FENCED, '').matchAll(DELIMITER_RUN)) n++;
  return n;
}

/** Whether the text is rendered as plain text instead (see the limits above). */
function tooHard(text: string): boolean {
  return (
    text.length > MAX_MESSAGE_CHARS ||
    nestingDepth(text) > MAX_NESTING ||
    delimiterRuns(text) > MAX_DELIMITER_RUNS
  );
}

/** The fallback: the text as typed, line breaks kept, nothing interpreted. */
function plainHtml(text: string): string {
  return `<p>${escapeHtml(text).replace(/\r?\n/g, '<br>')}</p>`;
}

/**
 * The message's markdown as HTML before sanitizing (exported for tests). Text longer than a
 * message may be, nested deeper than MAX_NESTING, with more than MAX_DELIMITER_RUNS emphasis
 * runs, or that marked fails on, is shown as plain text.
 */
export function markdownToHtml(text: string, context: MentionContext | null = null): string {
  if (tooHard(text)) return plainHtml(text);
  mentions = context;
  try {
    return marked.parse(text, { async: false });
  } catch {
    return plainHtml(text);
  } finally {
    mentions = null;
  }
}

const CACHE_MAX = 2000;
const cache = new Map<string, string>();

/**
 * Safe HTML for a message body: parsed with the subset, sanitized, cached per text (and mention
 * context). With a context, members' `@username`, `@channel` and `@here` are highlighted.
 */
export function renderMarkdown(text: string, context: MentionContext | null = null): string {
  const key = context === null ? text : `${context.key}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh its place: the Map's order is the eviction order.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const html = sanitize(markdownToHtml(text, context));
  cache.set(key, html);
  if (cache.size > CACHE_MAX) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  return html;
}

/** How many texts the render cache holds (for tests). */
export function renderCacheSize(): number {
  return cache.size;
}

/** Whether `text` is in the render cache (for tests). */
export function renderCacheHas(text: string): boolean {
  return cache.has(text);
}

/** Empties the render cache (for tests). */
export function clearRenderCache(): void {
  cache.clear();
}

function plain(tokens: readonly Token[] | undefined, out: string[]): void {
  if (!tokens) return;
  for (const t of tokens) {
    switch (t.type) {
      case 'space':
      case 'br':
        out.push(' ');
        break;
      case 'code':
        out.push(' ', (t as Tokens.Code).text, ' ');
        break;
      case 'codespan':
      case 'escape':
        out.push((t as Tokens.Codespan | Tokens.Escape).text);
        break;
      case 'list':
        out.push(' ');
        for (const item of (t as Tokens.List).items) {
          plain(item.tokens, out);
          out.push(' ');
        }
        break;
      case 'image':
        out.push((t as Tokens.Image).text || (t as Tokens.Image).href);
        break;
      case 'checkbox':
        out.push((t as Tokens.Checkbox).checked ? '[x] ' : '[ ] ');
        break;
      default: {
        const inner = (t as { tokens?: Token[] }).tokens;
        if (inner && inner.length > 0) plain(inner, out);
        else if (t.type === 'text') out.push(t.raw);
        else out.push('text' in t && typeof t.text === 'string' ? t.text : t.raw);
        if (t.type === 'paragraph' || t.type === 'blockquote') out.push(' ');
      }
    }
  }
}

/**
 * The message as one line of plain text, markup removed, for the conversation list's preview
 * and notifications: `**Deploy** [docs](https://x)` gives "Deploy docs".
 */
export function toPlainText(text: string): string {
  const out: string[] = [];
  if (tooHard(text)) {
    out.push(text);
  } else {
    try {
      plain(marked.lexer(text), out);
    } catch {
      out.length = 0;
      out.push(text);
    }
  }
  return out.join('').replace(/\s+/g, ' ').trim();
}
