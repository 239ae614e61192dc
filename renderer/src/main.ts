// Entry point: global styles, the data layer wired to the browser's IndexedDB, WebSocket and
// window events, and the root component.
import './styles/app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { browserBackend } from './data';
import type { Backend } from './ui/backend';

// The window's IndexedDB, WebSocket, online/offline events and Web Locks.
const backend: Backend = browserBackend();

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element.');
mount(App, { target, props: { backend } });

// Served over http(s) (by the relay), the app keeps its own files for opening offline
// (public/sw.js). The desktop app loads from app:// and needs none.
if ('serviceWorker' in navigator && /^https?:$/.test(location.protocol)) {
  navigator.serviceWorker.register('./sw.js').catch((error: unknown) => {
    console.warn('Ferry works online only in this browser: no service worker.', error);
  });
}
