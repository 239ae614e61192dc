// Entry point: global styles, the data layer wired to the browser's IndexedDB, WebSocket and
// window events, and the root component.
import './styles/app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import {
  createFerryClient,
  loadSession,
  saveSession,
  type FerryClient,
  type Session,
} from './data';
import type { Backend } from './ui/backend';

function open(session: Session): Promise<FerryClient> {
  return createFerryClient({
    session,
    indexedDB: window.indexedDB,
    WebSocket: window.WebSocket,
    events: window,
    online: navigator.onLine,
  });
}

const backend: Backend = {
  async restore() {
    const session = await loadSession(window.indexedDB);
    return session ? open(session) : null;
  },
  async start(input) {
    return open(await saveSession(window.indexedDB, input));
  },
};

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element.');
mount(App, { target, props: { backend } });
