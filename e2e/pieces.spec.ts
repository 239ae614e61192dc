// Pages in pieces in the real renderer (issue 16; renderer/src/data/pieces.ts): a document with
// more than 64 rows is compacted, its snapshot cut by the pieces worker (a module worker of its
// own, as the app's CSP and build allow), the rows marked on disk, and the conversation reads
// back whole after a reload.
import { expect, test, type Page } from '@playwright/test';
import { createConversation, messageWithText, openConversation, send } from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { person } = useWorld();

/** Rows of page documents (`conv/<id>/p<period>`) on disk marked as cut (`p: 1`). */
function cutPageRows(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const open = (name: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error ?? new Error('open failed'));
      });
    let n = 0;
    for (const { name } of await indexedDB.databases()) {
      if (!name?.startsWith('ferry')) continue;
      const db = await open(name);
      try {
        if (!db.objectStoreNames.contains('updates')) continue;
        const rows = await new Promise<Array<{ doc: string; p?: number }>>((resolve, reject) => {
          const r = db.transaction('updates').objectStore('updates').getAll();
          r.onsuccess = () => resolve(r.result as Array<{ doc: string; p?: number }>);
          r.onerror = () => reject(r.error ?? new Error('read failed'));
        });
        n += rows.filter((r) => r.p === 1 && /\/p\d+$/.test(r.doc)).length;
      } finally {
        db.close();
      }
    }
    return n;
  });
}

test('a page compacted after 64 writes is cut in the pieces worker and reads back whole after a reload', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const { page } = ada;
  await createConversation(page, 'Logbook');
  for (let i = 1; i <= 70; i++) await send(page, `Entry ${i} of the logbook`);
  // The compaction started the pieces worker (kept for the client's life)…
  await expect
    .poll(() => page.workers().map((w) => new URL(w.url()).pathname))
    .toContainEqual(expect.stringMatching(/\/assets\/pieces-worker-[\w-]+\.js$/));
  // …and the page's rows on disk are the cut snapshot's.
  await expect.poll(() => cutPageRows(page)).toBeGreaterThan(0);

  await page.reload();
  await openConversation(page, 'Logbook');
  await expect(messageWithText(page, 'Entry 70 of the logbook')).toHaveCount(1);
  await expect(messageWithText(page, 'Entry 69 of the logbook')).toHaveCount(1);
  await screenshot(page, 'pieces-1-reloaded');
});
