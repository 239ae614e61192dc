// The page of the 500-images bench (bench/files-app/run.ts): the renderer's real App on the UI
// harness's fake client (renderer/test/ui/harness), with two more conversations seeded before
// the App mounts: "Pictures" (N messages, each one 1600×1200 JPEG, bytes made here with an
// OffscreenCanvas and served by the harness's in-memory FakeFiles) and "Words" (the same N
// messages with no file: the peer). The fake pages history by 50 like the data layer.
import '../../../renderer/src/styles/app.css';
import { mount } from 'svelte';
import App from '../../../renderer/src/App.svelte';
import type { FileView, MessageView } from '../../../renderer/src/data/api';
import type { Backend } from '../../../renderer/src/ui/backend';
import { seeded } from '../../../renderer/test/ui/harness/fake-client';
import { placeholderOf } from '../../../renderer/test/ui/harness/fake-files';

const params = new URLSearchParams(location.search);
const N = Number(params.get('n') ?? 500);
const W = 1600;
const H = 1200;

declare global {
  interface Window {
    benchSeeded?: { images: number; bytes: number; ms: number };
  }
}

/** Grainy textures (random pixels) to lay over the drawing, so JPEGs weigh like photos. */
function grain(seed: number): OffscreenCanvas {
  const c = new OffscreenCanvas(W, H);
  const g = c.getContext('2d') as OffscreenCanvasRenderingContext2D;
  const img = g.createImageData(W, H);
  let x = seed;
  for (let i = 0; i < img.data.length; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    const v = 96 + ((x >>> 16) & 63);
    img.data[i] = v;
    img.data[i + 1] = v;
    img.data[i + 2] = v;
    img.data[i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
  return c;
}

async function photo(i: number, grains: OffscreenCanvas[]): Promise<Blob> {
  const c = new OffscreenCanvas(W, H);
  const g = c.getContext('2d') as OffscreenCanvasRenderingContext2D;
  const hue = (i * 37) % 360;
  const grad = g.createLinearGradient(0, 0, W, H);
  grad.addColorStop(0, `hsl(${hue} 70% 60%)`);
  grad.addColorStop(1, `hsl(${(hue + 60) % 360} 70% 30%)`);
  g.fillStyle = grad;
  g.fillRect(0, 0, W, H);
  for (let k = 0; k < 12; k++) {
    g.fillStyle = `hsl(${(hue + k * 29) % 360} 60% ${30 + k * 4}% / 0.6)`;
    g.beginPath();
    g.arc(((i + 1) * (k + 3) * 131) % W, ((i + 2) * (k + 5) * 71) % H, 60 + k * 20, 0, 7);
    g.fill();
  }
  g.globalAlpha = 0.35;
  g.globalCompositeOperation = 'overlay';
  g.drawImage(grains[i % grains.length] as OffscreenCanvas, 0, 0);
  g.globalAlpha = 1;
  g.globalCompositeOperation = 'source-over';
  g.fillStyle = 'white';
  g.font = 'bold 160px sans-serif';
  g.fillText(`#${i + 1}`, 80, 220);
  return c.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
}

interface Conv {
  id: string;
  title: string;
  messages: MessageView[];
  hidden: number;
  readCount: number;
  [k: string]: unknown;
}

async function seed(client: ReturnType<typeof seeded>): Promise<void> {
  const t0 = performance.now();
  const convs = (client as unknown as { convs: Conv[] }).convs;
  const field = convs.find((c) => c.id === 'c-field') as Conv;
  const tmpl = field.messages.find((m) => !m.mine) as MessageView;
  const authors = field.messages
    .filter((m) => !m.mine)
    .map((m) => [m.authorId, m.authorName] as const)
    .filter((a, i, all) => all.findIndex((b) => b[0] === a[0]) === i);
  const start = Date.now() - N * 7 * 60_000;
  const msg = (i: number, kind: string, files?: FileView[]): MessageView => {
    const [authorId, authorName] = authors[i % authors.length] ?? [tmpl.authorId, tmpl.authorName];
    return {
      ...tmpl,
      id: `${(start + i).toString(36)}-${kind}-${i}`,
      authorId,
      authorName,
      text: `${kind === 'pic' ? 'Picture' : 'Words'} ${i + 1} of ${N}: the harbour from the deck, before the rain came in.`,
      createdAt: start + i * 7 * 60_000,
      reactions: [],
      seenBy: [],
      thread: null,
      ...(files ? { files } : {}),
    };
  };
  const conv = (id: string, title: string, messages: MessageView[]): Conv => ({
    ...field,
    id,
    title,
    topic: undefined,
    description: undefined,
    pins: [],
    events: [],
    replies: [],
    messages,
    hidden: Math.max(0, messages.length - 50),
    readCount: messages.length,
  });
  const grains = [grain(1), grain(2), grain(3)];
  const placeholders = await Promise.all(
    Array.from({ length: 12 }, (_, k) => placeholderOf(k * 30)),
  );
  const pics: MessageView[] = [];
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const b = await photo(i, grains);
    bytes += b.size;
    const view: FileView = client.files.seed(
      {
        hash: `bench${i.toString(16).padStart(59, '0')}`,
        name: `harbour-${i + 1}.jpg`,
        size: b.size,
        type: 'image/jpeg',
        kind: 'image',
        width: W,
        height: H,
        placeholder: placeholders[i % placeholders.length] as string,
      },
      b,
    );
    pics.push(msg(i, 'pic', [view]));
  }
  const words = Array.from({ length: N }, (_, i) => msg(i, 'txt'));
  convs.push(conv('c-bench-pics', 'Pictures', pics), conv('c-bench-words', 'Words', words));
  window.benchSeeded = { images: N, bytes, ms: performance.now() - t0 };
}

localStorage.setItem('ferry.selectedConversation', 'c-field');
const client = seeded({
  userId: 'u-me',
  username: 'ada',
  displayName: 'Ada Park',
  role: 'member',
  serverUrl: 'https://ferry.corp.example',
});
await seed(client);
const backend = {
  restore: async () => client,
} as unknown as Backend;
const target = document.getElementById('app');
if (!target) throw new Error('no #app');
mount(App, { target, props: { backend } });
