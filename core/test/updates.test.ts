import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import { MalformedUpdateError, ModelError, updateClientIds } from '../src/index';

/** The updates `doc` emits while `write` runs, merged into one. */
function captured(doc: Y.Doc, write: () => void): Uint8Array {
  const updates: Uint8Array[] = [];
  const on = (u: Uint8Array) => updates.push(u);
  doc.on('update', on);
  write();
  doc.off('update', on);
  return Y.mergeUpdates(updates);
}

function docOf(clientID: number, base?: Y.Doc): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  if (base) Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  return doc;
}

describe('updateClientIds', () => {
  it('names the clientID that creates structs', () => {
    const a = docOf(11);
    const u = captured(a, () => a.getMap('m').set('k', 'v'));
    expect(updateClientIds(u)).toEqual({ structs: [11], deletes: [] });
  });

  it('names every writer of a merged update, and each once', () => {
    const a = docOf(30);
    a.getMap('m').set('x', 1);
    a.getMap('m').set('y', 2);
    const b = docOf(5, a);
    b.getText('t').insert(0, 'hello');
    const merged = Y.mergeUpdates([Y.encodeStateAsUpdate(a), Y.encodeStateAsUpdate(b)]);
    expect(updateClientIds(merged)).toEqual({ structs: [5, 30], deletes: [] });
  });

  it('names the owners of the items another client deletes, in the delete set', () => {
    const a = docOf(1);
    a.getMap('m').set('k', 'a');
    const b = docOf(2, a);
    // b deletes a's key: no new struct, only a delete-set entry for client 1.
    const u = captured(b, () => b.getMap('m').delete('k'));
    expect(updateClientIds(u)).toEqual({ structs: [], deletes: [1] });
    // b overwrites it: a new struct by 2 and the old value of 1 deleted.
    const c = docOf(3, a);
    const w = captured(c, () => c.getMap('m').set('k', 'c'));
    expect(updateClientIds(w)).toEqual({ structs: [3], deletes: [1] });
  });

  it('names a garbage-collected range by its writer', () => {
    const a = docOf(8);
    a.getMap('m').set('k', 'one');
    a.getMap('m').set('k', 'two'); // the first value is deleted and collected
    const ids = updateClientIds(Y.encodeStateAsUpdate(a));
    expect(ids).toEqual({ structs: [8], deletes: [8] });
  });

  it('finds no writer in an empty update (a stock client answering sync step 1)', () => {
    expect(updateClientIds(Y.encodeStateAsUpdate(new Y.Doc()))).toEqual({
      structs: [],
      deletes: [],
    });
  });

  it('throws a typed error for bytes that are not an update', () => {
    for (const bad of [
      new Uint8Array([]),
      new Uint8Array([1, 2, 3]),
      new Uint8Array([0, 1, 0]),
      new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]),
    ]) {
      expect(() => updateClientIds(bad)).toThrow(MalformedUpdateError);
    }
    try {
      updateClientIds(new Uint8Array([7]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ModelError);
      expect((e as ModelError).code).toBe('invalid');
      expect((e as Error).message).toMatch(/malformed Yjs update \(1 bytes\)/);
    }
    expect(() => updateClientIds('not bytes' as unknown as Uint8Array)).toThrow(
      MalformedUpdateError,
    );
  });

  it('takes a truncated real update as malformed', () => {
    const a = docOf(4);
    a.getMap('m').set('k', 'a long enough value to cut');
    const u = Y.encodeStateAsUpdate(a);
    expect(() => updateClientIds(u.subarray(0, u.length - 5))).toThrow(MalformedUpdateError);
  });
});
