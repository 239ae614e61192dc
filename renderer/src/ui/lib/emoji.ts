// The emoji the reaction picker offers: a small curated set (about 250) of what people react
// with at work, in categories, each with a name and a few search words. Written for Ferry (no
// emoji database is bundled): any other emoji can still arrive from other clients and shows
// as it is. Recently used emoji are kept per device in localStorage.

export interface Emoji {
  char: string;
  name: string;
  /** Extra search words (lower case). */
  keywords: string[];
}

export interface EmojiCategory {
  id: string;
  label: string;
  emoji: Emoji[];
}

// One line per emoji: `<emoji> <name>: <keywords…>`.
const TABLE: Record<string, [string, string]> = {
  smileys: [
    'Smileys',
    `😀 grinning face: smile happy
😃 grinning face with big eyes: smile happy joy
😄 grinning face with smiling eyes: smile happy laugh
😁 beaming face: grin smile
😆 grinning squinting face: laugh haha
😅 grinning face with sweat: relief phew nervous
😂 face with tears of joy: laugh lol funny
🤣 rolling on the floor laughing: rofl lol funny
🙂 slightly smiling face: smile ok
🙃 upside-down face: silly irony
😉 winking face: wink joke
😊 smiling face with smiling eyes: blush happy
😇 smiling face with halo: angel innocent
🥰 smiling face with hearts: love adore
😍 smiling face with heart-eyes: love crush
🤩 star-struck: wow amazing excited
😘 face blowing a kiss: kiss love
😋 face savoring food: yum tasty
😛 face with tongue: tongue playful
😜 winking face with tongue: joke crazy
🤪 zany face: crazy silly
🤗 hugging face: hug embrace
🤔 thinking face: think hmm wonder
🤨 face with raised eyebrow: skeptical doubt
😐 neutral face: meh blank
😑 expressionless face: meh blank
😶 face without mouth: speechless quiet
🙄 face with rolling eyes: eyeroll annoyed
😏 smirking face: smirk smug
😬 grimacing face: awkward yikes oops
😌 relieved face: relief calm
😔 pensive face: sad thoughtful
😪 sleepy face: tired
😴 sleeping face: sleep tired zzz
😷 face with medical mask: sick ill
🤒 face with thermometer: sick ill fever
🤯 exploding head: mind blown shocked
🥳 partying face: celebrate birthday
😎 smiling face with sunglasses: cool
🤓 nerd face: geek smart
😕 confused face: confused unsure
😟 worried face: worried concern
😮 face with open mouth: wow surprised
😲 astonished face: shocked surprised
🥺 pleading face: please puppy
😢 crying face: sad tear
😭 loudly crying face: sob sad cry
😱 face screaming in fear: scream scared horror
😤 face with steam from nose: frustrated triumph
😠 angry face: angry mad
🤬 face with symbols on mouth: swear angry
🫡 saluting face: salute yes sir respect
🤐 zipper-mouth face: secret quiet
🫠 melting face: melt hot embarrassed
😵 face with crossed-out eyes: dizzy dead
🤷 person shrugging: shrug dunno whatever
🤦 person facepalming: facepalm doh`,
  ],
  gestures: [
    'People and gestures',
    `👍 thumbs up: yes ok agree like +1 approve
👎 thumbs down: no disagree dislike -1
👌 ok hand: ok perfect fine
✌️ victory hand: peace two
🤞 crossed fingers: luck hope
🤟 love-you gesture: love
🤘 sign of the horns: rock metal
🤙 call me hand: call shaka
👈 backhand index pointing left: left point
👉 backhand index pointing right: right point
👆 backhand index pointing up: up point this
👇 backhand index pointing down: down point
☝️ index pointing up: one point
👋 waving hand: wave hello hi bye
🤚 raised back of hand: stop
✋ raised hand: hand stop high five
🖐️ hand with fingers splayed: five hand
🖖 vulcan salute: spock
👏 clapping hands: clap applause bravo
🙌 raising hands: hooray celebrate praise
👐 open hands: hug
🤲 palms up together: please offer
🤝 handshake: deal agreement
🙏 folded hands: thanks please pray
✍️ writing hand: write note
💪 flexed biceps: strong muscle effort
👀 eyes: look watching see
👁️ eye: look see
🧠 brain: smart think
🫶 heart hands: love thanks
👊 oncoming fist: fist bump punch
✊ raised fist: power solidarity
🙋 person raising hand: question me volunteer
🙇 person bowing: sorry thanks bow
🙆 person gesturing ok: ok yes
🙅 person gesturing no: no stop
💁 person tipping hand: info sassy
🏃 person running: run hurry late`,
  ],
  hearts: [
    'Hearts and symbols',
    `❤️ red heart: love like heart
🧡 orange heart: love heart
💛 yellow heart: love heart
💚 green heart: love heart
💙 blue heart: love heart
💜 purple heart: love heart
🖤 black heart: heart
🤍 white heart: heart
💔 broken heart: sad heartbreak
💕 two hearts: love
💖 sparkling heart: love
💯 hundred points: 100 perfect score keep it
✅ check mark button: done yes complete ok
☑️ check box with check: done
✔️ check mark: done yes
❌ cross mark: no wrong cancel
❎ cross mark button: no
➕ plus: add plus one +1
➖ minus: remove minus
❓ red question mark: question what
❗ red exclamation mark: important attention
‼️ double exclamation mark: important urgent
⚠️ warning: caution alert
🚫 prohibited: forbidden no stop
⛔ no entry: stop blocked
🔴 red circle: red dot stop
🟠 orange circle: orange dot
🟡 yellow circle: yellow dot
🟢 green circle: green dot go online
🔵 blue circle: blue dot
⭐ star: favourite favorite star
🌟 glowing star: shine star
✨ sparkles: new shiny magic clean
💫 dizzy: star
🔥 fire: hot lit great
💥 collision: boom crash
💤 zzz: sleep tired
💬 speech balloon: comment chat talk
💭 thought balloon: think
🆗 ok button: ok
🆕 new button: new
🔁 repeat button: repeat again loop
🔄 counterclockwise arrows: refresh sync update
⬆️ up arrow: up
⬇️ down arrow: down
➡️ right arrow: next right
⬅️ left arrow: back left
♻️ recycling symbol: recycle reuse
🏁 chequered flag: finish done race
🚩 triangular flag: flag issue warning`,
  ],
  celebration: [
    'Celebration and objects',
    `🎉 party popper: tada celebrate party congratulations
🎊 confetti ball: celebrate party
🎈 balloon: party birthday
🎂 birthday cake: birthday cake
🎁 wrapped gift: present gift
🏆 trophy: win award champion
🥇 first place medal: gold first winner
🥈 second place medal: silver second
🥉 third place medal: bronze third
🏅 sports medal: medal award
🎯 direct hit: target bullseye goal
🚀 rocket: launch ship fast release
💡 light bulb: idea
🔔 bell: notification ring
🔕 bell with slash: mute quiet
📌 pushpin: pin important
📎 paperclip: attachment
📝 memo: note write minutes
📅 calendar: date schedule
📆 tear-off calendar: date
⏰ alarm clock: time alarm wake
⏳ hourglass not done: wait time pending
⌛ hourglass done: time up
⏱️ stopwatch: timer time
📈 chart increasing: growth up trend
📉 chart decreasing: down trend
📊 bar chart: stats data
📣 megaphone: announce
📢 loudspeaker: announcement
🔍 magnifying glass tilted left: search find look
🔒 locked: lock secure private
🔓 unlocked: unlock open
🔑 key: key password
🛠️ hammer and wrench: tools fix build
🔧 wrench: fix tool
🔨 hammer: build fix
⚙️ gear: settings config
🧪 test tube: test experiment
🐛 bug: bug issue defect
💻 laptop: computer work
🖥️ desktop computer: computer
📱 mobile phone: phone
📷 camera: photo picture
📦 package: box ship delivery
✉️ envelope: mail email letter
📧 e-mail: mail email
🧾 receipt: invoice
💰 money bag: money cash
💸 money with wings: spend money
🗑️ wastebasket: trash delete bin
📚 books: read library docs`,
  ],
  nature: [
    'Nature, food and travel',
    `☀️ sun: sunny weather
🌤️ sun behind small cloud: weather
☁️ cloud: cloudy weather
🌧️ cloud with rain: rain weather
⛈️ cloud with lightning and rain: storm weather
❄️ snowflake: snow cold winter
🌈 rainbow: rainbow
🌊 water wave: wave sea ocean
🌙 crescent moon: night moon
🌍 globe showing europe-africa: world earth
🌱 seedling: grow plant new
🌲 evergreen tree: tree forest
🌸 cherry blossom: flower spring
🌻 sunflower: flower
🍀 four leaf clover: luck lucky
🍁 maple leaf: autumn fall
🐶 dog face: dog puppy
🐱 cat face: cat kitten
🦊 fox: fox
🐻 bear: bear
🐼 panda: panda
🐧 penguin: penguin
🐢 turtle: slow turtle
🐙 octopus: octopus
🦄 unicorn: unicorn magic
🐝 honeybee: bee busy
🦀 crab: crab
🐳 spouting whale: whale
☕ hot beverage: coffee tea break
🍵 teacup without handle: tea
🍺 beer mug: beer drinks cheers
🍻 clinking beer mugs: cheers drinks
🥂 clinking glasses: cheers toast champagne
🍕 pizza: pizza food lunch
🍔 hamburger: burger food lunch
🌮 taco: taco food
🍣 sushi: sushi food
🍰 shortcake: cake dessert
🍪 cookie: cookie snack
🍩 doughnut: donut snack
🍎 red apple: apple fruit
🍌 banana: banana fruit
🥑 avocado: avocado
🍿 popcorn: popcorn watching drama
🚗 automobile: car drive
🚲 bicycle: bike cycle
✈️ airplane: flight travel plane
🚢 ship: boat ship sea
⛵ sailboat: boat sail
🚆 train: train travel
🏠 house: home
🏢 office building: office work
⛺ tent: camping
🗺️ world map: map travel
⚓ anchor: anchor harbour harbor ship`,
  ],
};

function parse(lines: string): Emoji[] {
  return lines.split('\n').map((line) => {
    const space = line.indexOf(' ');
    const colon = line.indexOf(':', space);
    return {
      char: line.slice(0, space),
      name: line.slice(space + 1, colon),
      keywords: line
        .slice(colon + 1)
        .trim()
        .split(/\s+/),
    };
  });
}

export const CATEGORIES: readonly EmojiCategory[] = Object.entries(TABLE).map(
  ([id, [label, lines]]) => ({
    id,
    label,
    emoji: parse(lines),
  }),
);

export const ALL_EMOJI: readonly Emoji[] = CATEGORIES.flatMap((c) => c.emoji);

const BY_CHAR = new Map(ALL_EMOJI.map((e) => [e.char, e]));

/** The picker's entry for a character, or a bare one for an emoji outside the set. */
export function emojiInfo(char: string): Emoji {
  return BY_CHAR.get(char) ?? { char, name: char, keywords: [] };
}

/**
 * Emoji whose name or keywords contain every word of the query (a word at the start of a name
 * word ranks first). An empty query gives nothing: the picker then shows the categories.
 */
export function searchEmoji(query: string): Emoji[] {
  const words = query.toLowerCase().trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const scored: [Emoji, number][] = [];
  for (const e of ALL_EMOJI) {
    const hay = [...e.name.toLowerCase().split(/[\s-]+/), ...e.keywords];
    let score = 0;
    let ok = true;
    for (const w of words) {
      if (e.char === w) score += 3;
      else if (hay.some((h) => h === w)) score += 2;
      else if (hay.some((h) => h.startsWith(w))) score += 1;
      else if (hay.some((h) => h.includes(w))) score += 0;
      else {
        ok = false;
        break;
      }
    }
    if (ok) scored.push([e, score]);
  }
  // Stable: equal scores keep the set's order (most common first within a category).
  return scored.sort((a, b) => b[1] - a[1]).map((x) => x[0]);
}

const RECENT_KEY = 'ferry.recentEmoji';
export const RECENT_MAX = 16;

/** Recently used emoji on this device, most recent first. */
export function recentEmoji(storage: Pick<Storage, 'getItem'> = localStorage): string[] {
  try {
    const raw: unknown = JSON.parse(storage.getItem(RECENT_KEY) ?? '[]');
    if (!Array.isArray(raw)) return [];
    return raw
      .filter((x): x is string => typeof x === 'string' && x.length > 0)
      .slice(0, RECENT_MAX);
  } catch {
    return []; // a damaged entry only loses the recent list
  }
}

export function rememberEmoji(
  char: string,
  storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage,
): void {
  const next = [char, ...recentEmoji(storage).filter((c) => c !== char)].slice(0, RECENT_MAX);
  try {
    storage.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // storage full or disabled: the list is a convenience
  }
}

/** "Ada, Bo and 3 others reacted with 👍" (the chip's tooltip and accessible name). */
export function reactedLabel(names: readonly string[], emoji: string): string {
  const shown = names;
  let who: string;
  if (shown.length <= 3) who = shown.join(', ');
  else
    who = `${shown.slice(0, 3).join(', ')} and ${shown.length - 3} other${shown.length === 4 ? '' : 's'}`;
  return `${who} reacted with ${emoji}`;
}

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Whether a message is only emoji (at most `max`, spaces between allowed), which the list
 * shows large. Digits, # and * are emoji components but not emoji on their own: "42" is text.
 */
export function emojiOnly(text: string, max = 5): boolean {
  const t = text.trim();
  if (t === '' || t.length > 80) return false;
  let count = 0;
  for (const { segment } of SEGMENTER.segment(t)) {
    if (/^\s+$/u.test(segment)) continue;
    if (!/\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(segment)) return false;
    count += 1;
    if (count > max) return false;
  }
  return count > 0;
}
