// The emoji data, in a chunk of its own: imported only by `loadEmoji()` (lib/emoji.ts), so the
// first screen does not carry it. emojibase-data's English compact set (CLDR names, keywords,
// groups, skin tones), its `iamcal` shortcodes (Slack's: :heart:, :+1:, :tada:; the few newest
// emoji it lacks get one from their name, see buildIndex), the group names, and which Emoji
// version added each recent emoji (the picker leaves out what the system cannot draw).
import data from 'emojibase-data/en/compact.json';
import messages from 'emojibase-data/en/messages.json';
import iamcal from 'emojibase-data/en/shortcodes/iamcal.json';
import versions from 'emojibase-data/versions/emoji.json';
import { buildIndex, type EmojiIndex } from './emoji-index';

export { drawableVersion } from './emoji-support';

let index: EmojiIndex | null = null;

export function emojiIndex(): EmojiIndex {
  index ??= buildIndex(data, [iamcal], messages, versions);
  return index;
}
