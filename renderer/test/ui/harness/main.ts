// The renderer's real App mounted on the fake client: `?fresh` shows the first run.
import '../../../src/styles/app.css';
import { mount } from 'svelte';
import App from '../../../src/App.svelte';
import type { Backend } from '../../../src/ui/backend';
import { seeded, type FakeControls } from './fake-client';

declare global {
  interface Window {
    __ferryFake?: FakeControls;
  }
}

const fresh = new URLSearchParams(location.search).has('fresh');
localStorage.setItem('ferry.selectedConversation', 'c-field');

const backend: Backend = {
  async restore() {
    if (fresh) return null;
    const client = seeded({
      userId: 'u-me',
      displayName: 'Ada Park',
      serverUrl: 'https://ferry.corp.example',
    });
    window.__ferryFake = client.controls();
    return client;
  },
  async start(input) {
    const client = seeded({ userId: 'u-me', ...input });
    window.__ferryFake = client.controls();
    return client;
  },
};

const target = document.getElementById('app');
if (!target) throw new Error('no #app');
mount(App, { target, props: { backend } });
