// The search worker: one SearchHost answering the page's requests (protocol.ts).
// Started by index.ts with `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`.
import { SearchHost } from './host';
import type { Request, Response } from './protocol';

interface WorkerScope {
  indexedDB?: IDBFactory;
  onmessage: ((ev: MessageEvent<Request>) => void) | null;
  postMessage(message: Response): void;
}

const scope = self as unknown as WorkerScope;
const host = new SearchHost({ indexedDB: scope.indexedDB ?? null });
scope.onmessage = (ev) => host.handle(ev.data, (res) => scope.postMessage(res));
