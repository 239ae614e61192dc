// Forwarding through the data layer, signed in to a REAL relay (docs/messaging.md, "Forwarded
// messages"): a forward written offline into another conversation reaches its readers when the
// writer is back, with the forwarder as author and the origin quoted; a forward of a forward
// without a comment forwards the origin; deleting it clears the copied text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardSource, MessageView } from '../../src/data/api';
import { Device, listWhere, removeDir, startRelay, viewWhere, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

const source = (conversationId: string, title: string, m: MessageView): ForwardSource => ({
  conversationId,
  title,
  message: m,
});

describe('forwarding', () => {
  it('forwards offline into a DM; the reader sees it from the forwarder, the origin quoted', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const chan = await a.createConversation({ kind: 'channel', title: 'Plans', visibility: 'private', members: [] });
    const ca = a.open(chan);
    await ca.loadRecent();
    const orig = await ca.send('The **launch** is on Friday');
    const dm = await a.openDm(bo.id);
    const cd = a.open(dm);
    await cd.loadRecent();

    a.setOnline(false);
    const fwd = await cd.send('', { forward: source(chan, 'Plans', orig) });
    expect(fwd.forward).toMatchObject({
      conversationId: chan,
      messageId: orig.id,
      authorId: ada.id,
      authorName: 'Ada',
      title: 'Plans',
      text: 'The **launch** is on Friday',
    });
    expect(fwd.authorId).toBe(ada.id);
    expect(fwd.text).toBe('');
    a.setOnline(true);

    await listWhere(b, (l) => l.some((x) => x.id === dm && x.lastMessage?.text === 'The **launch** is on Friday'));
    const cb = b.open(dm);
    await cb.loadRecent();
    const seen = await viewWhere(cb, (v) => v.messages.some((m) => m.forward));
    const got = seen.messages.find((m) => m.forward) as MessageView;
    expect(got.authorId).toBe(ada.id);
    expect(got.forward?.title).toBe('Plans');
    // Bo forwards it on (no comment): the origin is forwarded, not a forward of a forward.
    const again = await cb.send('', { forward: source(dm, '', got) });
    expect(again.forward?.messageId).toBe(orig.id);
    expect(again.forward?.authorName).toBe('Ada');
    // With a comment of his own it is the forward itself that is forwarded.
    const own = await cb.send('see this', { forward: source(dm, '', got) });
    expect(own.forward?.text).toBe('The **launch** is on Friday');

    // Deleting clears the forwarded text (for the author and every reader).
    await cd.remove(fwd.id);
    const after = await viewWhere(cb, (v) => v.messages.find((m) => m.id === fwd.id)?.deleted === true);
    expect(after.messages.find((m) => m.id === fwd.id)?.forward).toBeNull();

    await expect(cb.send('', { forward: source(dm, '', { ...orig, deleted: true }) })).rejects.toThrow(
      /deleted message cannot be forwarded/,
    );
    ca.close();
    cd.close();
    cb.close();
    await a.close();
    await b.close();
  });
});
