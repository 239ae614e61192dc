// One file as a component sees it (issue 13): its transfer state from the FilesApi and, when
// wanted and loadable, an object URL of its bytes (shared and revoked through FileUrls).
// Call during a component's initialisation (it makes effects).

import { untrack } from 'svelte';
import type { FileTransfer, FileView } from '../../data/api';
import { useFiles } from './files-context';
import { transferLine } from './files';

export function useFile(file: () => FileView, want: () => boolean = () => true) {
  const ctx = useFiles();
  let transfer = $state.raw<FileTransfer>(
    ctx ? { state: 'remote' } : { state: 'unavailable', error: 'Open the conversation to see it.' },
  );
  let url = $state<string | null>(null);
  let error = $state<string | null>(null);
  const loadable = $derived(transferLine(transfer, false).loadable);
  // After a failed open (not uploaded yet, offline), a change of state tries again.
  let attempt = $state(0);
  let lastState = '';
  $effect(() => {
    const st = transfer.state;
    if (st === lastState) return;
    lastState = st;
    if (untrack(() => error) !== null) attempt++;
  });

  $effect(() => {
    if (!ctx) return;
    return ctx.api.transfer(file().hash)((t) => (transfer = t));
  });

  $effect(() => {
    const f = file();
    void attempt;
    if (!ctx || !want() || !loadable) return;
    let live = true;
    error = null;
    ctx.urls.acquire(f).then(
      (u) => {
        if (live) url = u;
      },
      (e: unknown) => {
        console.warn('files: could not open', f.hash, e);
        if (live)
          error = e instanceof Error && e.message ? e.message : 'This file could not be loaded.';
      },
    );
    return () => {
      live = false;
      url = null;
      ctx.urls.release(f.hash);
    };
  });

  return {
    ctx,
    get transfer() {
      return transfer;
    },
    get url() {
      return url;
    },
    get error() {
      return error;
    },
  };
}
