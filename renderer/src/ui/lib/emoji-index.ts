// The emoji index and how it is built from emojibase-data's shapes: pure, with no data of its
// own, so both the data's chunk (emoji-data.ts) and the rest of the app (emoji.ts) import it
// without either importing the other.

/** One emoji as the picker offers it. */
export interface Emoji {
  /** The emoji without a skin tone, fully qualified (what is stored in text and reactions). */
  char: string;
  /** CLDR name, lower case: "red heart". */
  name: string;
  /** Without colons, best first: ["heart"]. */
  shortcodes: string[];
  /** CLDR keywords, lower case. */
  keywords: string[];
  /** Index into `EmojiIndex.groups`. */
  group: number;
  /** Display order in the data (smileys first). */
  order: number;
  /** The emoji in skin tones 1 (light) to 5 (dark), when it has them: `skins[tone - 1]`. */
  skins?: string[];
  /** The Emoji version that added it, for the recent ones (12 and later; see limitToVersion). */
  version?: number;
}

export interface EmojiGroup {
  key: string;
  /** "Smileys & emotion". */
  label: string;
  emoji: Emoji[];
}

export interface EmojiIndex {
  all: Emoji[];
  groups: EmojiGroup[];
  /** By character (a skin-toned form too), variation selectors removed: `keyOf(char)`. */
  byChar: Map<string, Emoji>;
  byShortcode: Map<string, Emoji>;
}

/** The parts of emojibase's compact data this reads. */
export interface CompactEmojiData {
  unicode: string;
  hexcode: string;
  label: string;
  group?: number;
  order?: number;
  tags?: string[];
  skins?: { unicode: string; hexcode: string }[];
}
export type ShortcodeData = Record<string, string | string[]>;
/** emojibase's versions/emoji.json: Emoji version → hexcodes added in it. */
export type VersionsData = Record<string, string[]>;
/** Versions from which the index records when an emoji was added (older ones draw everywhere). */
const FIRST_TRACKED_VERSION = 12;

export interface MessagesData {
  groups: { key: string; message: string; order: number }[];
}

/** Group 2 is "components" (skin tone swatches, hair): parts of emoji, not emoji to pick. */
const COMPONENT_GROUP = 2;

/**
 * The fully qualified form: no U+FE0F after a character that is an emoji by default (👍, not
 * 👍 + VS16 as the data spells some), kept where it is needed (❤️, #️⃣). This is what the old
 * curated table stored, so an existing reaction and a newly picked one are the same chip.
 */
export function qualified(s: string): string {
  return s.replace(/(\p{Emoji_Presentation})\uFE0F/gu, '$1');
}

/** Lookup key: variation selectors removed, so "❤" and "❤️" find the same emoji. */
export function keyOf(s: string): string {
  return s.replace(/\uFE0F/g, '');
}

const TONE_MODIFIERS = ['1F3FB', '1F3FC', '1F3FD', '1F3FE', '1F3FF'];

/** The skin tone (1-5) of a skin variant's hexcode when all its modifiers are that tone. */
function uniformTone(hexcode: string): number | null {
  const tones = new Set(hexcode.split('-').filter((h) => TONE_MODIFIERS.includes(h)));
  if (tones.size !== 1) return null;
  return TONE_MODIFIERS.indexOf([...tones][0] as string) + 1;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Builds the picker's index from emojibase's compact data, shortcode presets and messages. */
export function buildIndex(
  data: readonly CompactEmojiData[],
  shortcodeSets: readonly ShortcodeData[],
  messages: MessagesData,
  versions: VersionsData = {},
): EmojiIndex {
  const versionOf = new Map<string, number>();
  for (const [v, hexcodes] of Object.entries(versions)) {
    if (Number(v) >= FIRST_TRACKED_VERSION) for (const h of hexcodes) versionOf.set(h, Number(v));
  }
  const groupKeys = [...messages.groups].sort((a, b) => a.order - b.order);
  const groups: EmojiGroup[] = [];
  const groupAt = new Map<number, EmojiGroup>();
  for (const g of groupKeys) {
    if (g.order === COMPONENT_GROUP) continue;
    const group = { key: g.key, label: capitalise(g.message), emoji: [] as Emoji[] };
    groupAt.set(g.order, group);
    groups.push(group);
  }
  const all: Emoji[] = [];
  const byChar = new Map<string, Emoji>();
  const byShortcode = new Map<string, Emoji>();
  for (const d of data) {
    const group = d.group === undefined ? undefined : groupAt.get(d.group);
    if (!group) continue; // regional indicator letters and components
    const shortcodes: string[] = [];
    for (const set of shortcodeSets) {
      const codes = set[d.hexcode];
      for (const c of typeof codes === 'string' ? [codes] : (codes ?? [])) {
        if (!shortcodes.includes(c)) shortcodes.push(c);
      }
    }
    // The newest emoji may have none yet: their name as one (":hairy_creature:").
    if (shortcodes.length === 0) {
      shortcodes.push(d.label.toLowerCase().replace(/[^a-z0-9+-]+/g, '_'));
    }
    const e: Emoji = {
      char: qualified(d.unicode),
      name: d.label.toLowerCase(),
      shortcodes,
      keywords: (d.tags ?? []).map((t) => t.toLowerCase()),
      group: groups.indexOf(group),
      order: d.order ?? Number.MAX_SAFE_INTEGER,
    };
    const version = versionOf.get(d.hexcode);
    if (version !== undefined) e.version = version;
    if (d.skins && d.skins.length > 0) {
      const skins: string[] = [];
      for (const s of d.skins) {
        const tone = uniformTone(s.hexcode);
        if (tone !== null && skins[tone - 1] === undefined) skins[tone - 1] = qualified(s.unicode);
      }
      if (skins.length === 5 && skins.every(Boolean)) e.skins = skins;
      for (const s of d.skins) byChar.set(keyOf(s.unicode), e);
    }
    all.push(e);
    group.emoji.push(e);
    byChar.set(keyOf(e.char), e);
    for (const c of shortcodes) if (!byShortcode.has(c)) byShortcode.set(c, e);
  }
  all.sort((a, b) => a.order - b.order);
  for (const g of groups) g.emoji.sort((a, b) => a.order - b.order);
  return { all, groups, byChar, byShortcode };
}

/**
 * The index without the emoji newer than `max` (the picker and search do not offer what this
 * system cannot draw: a blank cell). They are still known by character and shortcode, so a
 * reaction or a `:shortcode:` of one still has its name.
 */
export function limitToVersion(index: EmojiIndex, max: number): EmojiIndex {
  if (!index.all.some((e) => (e.version ?? 0) > max)) return index;
  const keep = (e: Emoji) => (e.version ?? 0) <= max;
  return {
    ...index,
    all: index.all.filter(keep),
    groups: index.groups.map((g) => ({ ...g, emoji: g.emoji.filter(keep) })),
  };
}

/** The newest Emoji versions with a single-character emoji to test drawing with, newest first. */
export function versionSamples(index: EmojiIndex): [number, string][] {
  const seen = new Map<number, string>();
  for (const e of index.all) {
    const v = e.version;
    if (v === undefined || seen.has(v)) continue;
    if ([...keyOf(e.char)].length === 1) seen.set(v, e.char);
  }
  return [...seen].sort((a, b) => b[0] - a[0]);
}
