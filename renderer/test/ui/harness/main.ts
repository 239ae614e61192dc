// The renderer's real App mounted on the fake client. Query parameters:
//   ?fresh   no kept session: the sign-in screen (password "correct horse battery"; user "totp"
//            also needs the code 123456 or the recovery code "ABCD-EFGH"; password "locked"
//            and "slow" show the locked and rate-limited answers; a server URL containing
//            "down" is unreachable)
//   ?setup   with ?fresh: a server with no users (the first-admin form)
//   ?guest   signed in as a guest
//   ?admin   signed in as a workspace admin (People; harness/fake-admin.ts has the fake's rules)
//   ?files   a message with images, a PDF, a voice message and a risky file name (issue 13)
import '../../../src/styles/app.css';
import { mount } from 'svelte';
import App from '../../../src/App.svelte';
import { ApiError, type Session } from '../../../src/data/api';
import type { Backend, SignInResult } from '../../../src/ui/backend';
import { seeded, type FakeControls } from './fake-client';

declare global {
  interface Window {
    __ferryFake?: FakeControls;
  }
}

const params = new URLSearchParams(location.search);
let kept = !params.has('fresh');
let setupRequired = params.has('setup');
localStorage.setItem('ferry.selectedConversation', 'c-field');

const PASSWORD = 'correct horse battery';

function start(session: Session): SignInResult {
  kept = true;
  const client = seeded(session);
  window.__ferryFake = client.controls();
  return { ok: true, client };
}

const delay = () => new Promise((r) => setTimeout(r, 300));

const backend: Backend = {
  async restore() {
    if (!kept) return null;
    const client = seeded({
      userId: 'u-me',
      username: 'ada',
      displayName: 'Ada Park',
      role: params.has('guest') ? 'guest' : params.has('admin') ? 'admin' : 'member',
      serverUrl: 'https://ferry.corp.example',
    });
    window.__ferryFake = client.controls();
    if (params.has('files')) void client.seedFiles();
    return client;
  },
  async serverInfo(serverUrl) {
    if (serverUrl.includes('down')) throw new ApiError('unreachable', 'No answer.');
    return { name: 'Ferry', version: 'harness', setupRequired };
  },
  async signIn(input) {
    await delay();
    if (input.serverUrl.includes('down')) {
      return { ok: false, code: 'unreachable', message: 'No answer.' };
    }
    if (input.password === 'locked') {
      return { ok: false, code: 'locked', message: 'Locked.', retryAfter: 900 };
    }
    if (input.password === 'slow') {
      return { ok: false, code: 'rate-limited', message: 'Slow down.', retryAfter: 4 };
    }
    if (input.password !== PASSWORD) {
      return { ok: false, code: 'invalid-credentials', message: 'Wrong username or password.' };
    }
    if (input.username === 'neo') {
      // An admin set this password: "Choose your own password" first.
      return {
        ok: false,
        code: 'password-change-required',
        message: 'Choose your own password to finish signing in.',
        changePassword: async () => {
          await delay();
          return start({
            userId: 'u-me',
            username: 'neo',
            displayName: 'Neo',
            role: 'member',
            serverUrl: input.serverUrl,
          });
        },
      };
    }
    if (input.username === 'totp') {
      if (!input.totp && !input.recoveryCode) {
        return { ok: false, code: 'totp-required', message: 'Code needed.' };
      }
      if (input.totp !== '123456' && input.recoveryCode !== 'ABCD-EFGH') {
        return { ok: false, code: 'invalid-credentials', message: 'Wrong code.' };
      }
    }
    return start({
      userId: 'u-me',
      username: input.username,
      displayName: 'Ada Park',
      role: 'member',
      serverUrl: input.serverUrl,
    });
  },
  async lookupInvite(_serverUrl, token) {
    await delay();
    if (token.startsWith('Expired')) {
      throw new ApiError(
        'gone',
        'This invite link has expired; ask whoever sent it for a new one.',
      );
    }
    return { role: 'member', expiresAt: Date.now() + 48 * 3600_000 };
  },
  async acceptInvite(input) {
    await delay();
    return start({
      userId: 'u-me',
      username: input.username,
      displayName: input.displayName,
      role: 'member',
      serverUrl: input.serverUrl,
    });
  },
  async setupAdmin(input) {
    await delay();
    setupRequired = false;
    return start({
      userId: 'u-me',
      username: input.username,
      displayName: input.displayName,
      role: 'admin',
      serverUrl: input.serverUrl,
    });
  },
};

const target = document.getElementById('app');
if (!target) throw new Error('no #app');
mount(App, { target, props: { backend } });
