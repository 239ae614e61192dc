// The relay's awareness judging alone, in process (issue 16): N subscriptions of N distinct
// users join one room, each sets its state, then each echoes every state it got (N² entries),
// through the relay's own decode/judge/apply functions. Prints milliseconds per phase. With
// --src=DIR it loads awareness.ts and room.ts from another copy of sync-server/src (for
// instance an older commit extracted with `git archive`), to compare before and after.
//
//   npx tsx bench/relay/crowd-judge.ts [--clients=1000,2000,4000] [--src=sync-server/src]
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as awarenessProtocol from 'y-protocols/awareness';
import type * as AwarenessModule from '../../sync-server/src/awareness';
import type * as RoomModule from '../../sync-server/src/room';
import type { RoomConn } from '../../sync-server/src/room';
import { TokenBuckets } from '../../sync-server/src/limits';
import { createLogger } from '../../sync-server/src/log';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let sizes = [1000, 2000, 4000];
let src = path.join(repoRoot, 'sync-server/src');
for (const arg of process.argv.slice(2)) {
  if (arg.startsWith('--clients=')) sizes = arg.slice(10).split(',').map(Number);
  else if (arg.startsWith('--src=')) src = path.resolve(arg.slice(6));
  else {
    console.error(`unknown argument "${arg}"`);
    process.exit(2);
  }
}
const aw = (await import(
  pathToFileURL(path.join(src, 'awareness.ts')).href
)) as typeof AwarenessModule;
const rm = (await import(pathToFileURL(path.join(src, 'room.ts')).href)) as typeof RoomModule;
const log = createLogger('silent');

function run(n: number): { joinMs: number; echoMs: number } {
  const room = new rm.Room('crowd');
  room.loaded = true;
  room.awareness.on('update', (change: { added: number[]; updated: number[]; removed: number[] }) =>
    aw.noteAwarenessChange(room, change),
  );
  const budget = new TokenBuckets({ burst: 1e12, perSecond: 1e12 });
  const conns: RoomConn[] = Array.from({ length: n }, (_, i) => ({
    cid: `c${i}`,
    principal: { id: `user${i}` },
    log,
    send() {},
    close() {},
  }));
  const receive = (c: RoomConn, payload: Uint8Array): void => {
    const entries = aw.decodeAwarenessEntries(payload);
    (aw as Partial<typeof AwarenessModule>).checkAwarenessJson?.(room, entries);
    const { kept } = aw.judgeAwareness(room, c, entries, budget);
    aw.applyAwareness(room, c, payload, entries, kept);
  };
  const t0 = performance.now();
  for (const [i, c] of conns.entries()) {
    const state = {
      awareness: new Set<number>(),
      queriedAt: -Infinity,
      lastAckAt: 0,
      ackTimer: null,
    };
    // The relay before issue 16 had no setConn: it set the map directly.
    if (typeof room.setConn === 'function') room.setConn(c, state);
    else (room.conns as Map<RoomConn, typeof state>).set(c, state);
    const json = JSON.stringify({ u: `user${i}`, user: { name: `Person ${i}` } });
    receive(c, aw.encodeAwarenessEntries([{ id: 1000 + i, clock: 1, json, state: null }]));
  }
  const joinMs = performance.now() - t0;
  const all = awarenessProtocol.encodeAwarenessUpdate(room.awareness, [
    ...room.awareness.getStates().keys(),
  ]);
  const t1 = performance.now();
  for (const c of conns) receive(c, all);
  const echoMs = performance.now() - t1;
  room.awareness.destroy();
  return { joinMs, echoMs };
}

console.log(
  `awareness judging, ${path.relative(repoRoot, src) || src}, Node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)}`,
);
for (const n of sizes) {
  const { joinMs, echoMs } = run(n);
  console.log(
    `  N=${n}: ${n} users set a state ${joinMs.toFixed(0)} ms; each echoes all (${n * n} entries) ${echoMs.toFixed(0)} ms`,
  );
}
