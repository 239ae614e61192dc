// The composer's `:shortcode:` completion as state the Composer holds (the pure parts are
// emoji-complete.ts). Typing `:he` loads the emoji data (once) and shows up to eight matches;
// ↑/↓ move, Enter or Tab inserts the emoji, Escape closes until the next `:word`. A shortcode
// typed in full (`:heart:`) becomes its emoji at once, and `convert` turns any left on send.

import {
  completedShortcode,
  emojiSuggestions,
  replaceShortcodes,
  shortcodeQuery,
  insertEmoji,
  type EmojiSuggestion,
} from './emoji-complete';
import { loadEmoji, recentEmoji, rememberEmoji, skinTone, type EmojiIndex } from './emoji';

export interface TextEdit {
  text: string;
  caret: number;
}

export class EmojiCompletion {
  /** The `:word` at the caret. */
  query = $state<{ start: number; query: string } | null>(null);
  active = $state(0);
  /** The start of a `:word` Escape closed: no suggestions again until another one. */
  dismissed = $state<number | null>(null);
  index = $state.raw<EmojiIndex | null>(null);
  readonly listId: string;

  constructor(listId = 'emoji-complete-list') {
    this.listId = listId;
  }

  readonly suggestions: EmojiSuggestion[] = $derived.by(() => {
    const q = this.query;
    if (!q || !this.index || q.start === this.dismissed) return [];
    return emojiSuggestions(this.index, q.query, skinTone(), recentEmoji());
  });

  get open(): boolean {
    return this.suggestions.length > 0;
  }

  /** The active option's id (the textarea's aria-activedescendant). */
  get activeId(): string | undefined {
    return this.open ? `${this.listId}-${this.active}` : undefined;
  }

  private ensureLoaded(): void {
    if (this.index) return;
    loadEmoji().then(
      (i) => (this.index = i),
      (e: unknown) => console.warn('emoji data could not be loaded', e),
    );
  }

  /**
   * After input or a caret move: finds the `:word` at the caret. On input a just-completed
   * `:shortcode:` is returned as the edit to apply (the emoji in its place).
   */
  update(el: HTMLTextAreaElement, typed: boolean): TextEdit | null {
    const text = el.value;
    if (text.includes(':')) this.ensureLoaded();
    if (typed && this.index && el.selectionStart === el.selectionEnd) {
      const swap = completedShortcode(this.index, text, el.selectionStart, skinTone());
      if (swap) {
        this.query = null;
        return swap;
      }
    }
    const next = shortcodeQuery(text, el.selectionStart, el.selectionEnd);
    if (next?.start !== this.query?.start || next?.query !== this.query?.query) this.active = 0;
    if (next === null) this.dismissed = null;
    this.query = next;
    return null;
  }

  /** The edit for picking suggestion `i` (or the active one), remembered as recently used. */
  pick(el: HTMLTextAreaElement, i = this.active): TextEdit | null {
    const s = this.suggestions[i];
    const q = this.query;
    if (!s || !q) return null;
    rememberEmoji(s.char);
    this.query = null;
    return insertEmoji(el.value, q.start, el.selectionStart, s.char);
  }

  /**
   * ↑/↓, Enter/Tab and Escape while suggestions show. Returns the edit to apply for a pick,
   * `true` when the key was used otherwise, `false` when it is not the completion's.
   */
  key(e: KeyboardEvent, el: HTMLTextAreaElement): TextEdit | boolean {
    const n = this.suggestions.length;
    if (n === 0 || !this.query) return false;
    let result: TextEdit | boolean = true;
    if (e.key === 'ArrowDown') this.active = (this.active + 1) % n;
    else if (e.key === 'ArrowUp') this.active = (this.active - 1 + n) % n;
    else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) result = this.pick(el) ?? true;
    else if (e.key === 'Escape') this.dismissed = this.query.start;
    else return false;
    e.preventDefault();
    e.stopPropagation();
    return result;
  }

  /** The text to send: known `:shortcode:`s outside code as their emoji (when the data is in). */
  convert(text: string): string {
    return this.index ? replaceShortcodes(this.index, text, skinTone()) : text;
  }
}
