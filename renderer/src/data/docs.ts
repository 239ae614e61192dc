// Open documents and their host: kept so existing imports work. DocHost (loading, storing,
// syncing, refusals) is in doc-host.ts; OpenDoc, Transport and FerryProvider in open-doc.ts; the
// rebuild of a refused document in rebuild.ts. See README.md (Persistence, Sync).
export { DocHost, type RoomPolicy } from './doc-host';
export { FerryProvider, OpenDoc, type Transport } from './open-doc';
export { MAX_REBUILDS, REBUILT } from './rebuild';
