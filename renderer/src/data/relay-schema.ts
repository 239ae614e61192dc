// The relay's document schema version (docs/messaging.md, "Schema version 2"): learned from
// GET /server, kept on disk so a device starting offline still knows it. Pins wait for 2.
import type { ClientContext } from './context';
import type { RelayApi } from './relay-api';

/** Meta record: the relay's document schema version, from GET /server (pins need 2). */
const RELAY_SCHEMA = 'relaySchema';

export class RelaySchema {
  /** GET /server `schema` (1 when absent: a version-1 relay); null until first learned. */
  private schema: number | null = null;
  private read = false;
  /** Set once this run has the relay's answer: asked again only while it says less than 2. */
  private asked = false;

  /** `api`: null without accounts (benchmark relays have no GET /server to ask). */
  constructor(
    private readonly ctx: ClientContext,
    private readonly api: RelayApi | null,
    /** Every GET /server answer (files.ts keeps the file limits from it). */
    private readonly onInfo: (info: unknown) => void = () => undefined,
  ) {}

  /** Reads the schema kept from an earlier run (a device starting offline still knows it). */
  async load(): Promise<void> {
    const kept = await this.ctx.store.getMeta(RELAY_SCHEMA).catch(() => undefined);
    this.read = true;
    if (this.schema === null && typeof kept === 'number' && Number.isInteger(kept) && kept >= 1) {
      this.schema = kept;
      this.ctx.convChanged(null);
    }
  }

  /**
   * Asks the relay its schema and keeps it on disk: at the first connect of this run, and at
   * every connect while it is unknown or below 2 (the relay may have been upgraded). Not at
   * every reconnect: GET /server counts against the relay's per-address budget of anonymous
   * calls, which an office behind one NAT shares with its sign-in screens.
   */
  async check(): Promise<void> {
    if (!this.api) return;
    // Asked again while below 3: the personal document waits for it (personal.ts).
    if (this.asked && this.schema !== null && this.schema >= 3) return;
    let info: unknown;
    try {
      info = await this.api<unknown>('GET', '/server');
    } catch {
      return; // asked again at the next connect; the kept value stands meanwhile
    }
    this.asked = true;
    this.onInfo(info);
    const raw = typeof info === 'object' && info !== null ? (info as { schema?: unknown }).schema : undefined;
    const schema = typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 ? raw : 1;
    if (this.ctx.closed || schema === this.schema) return;
    this.schema = schema;
    this.ctx.store.putMeta(RELAY_SCHEMA, schema).catch(() => undefined);
    this.ctx.convChanged(null);
  }

  /** The relay's schema as last learned (kept on disk), or null while unknown. */
  get version(): number | null {
    return this.schema;
  }

  /**
   * Why pins cannot be written now, or null: an older relay refuses the `pins` root and would
   * quarantine the writer (docs/messaging.md), so pins wait until it says schema 2 or newer.
   * Without accounts (benchmark relays) there is no GET /server to ask: available.
   */
  pinsUnavailable(): string | null {
    if (!this.api) return null;
    if (this.schema === null) {
      return this.read
        ? 'Pins become available once this device has reached the server.'
        : 'Checking whether the server supports pins…';
    }
    if (this.schema < 2) return 'Pins need a newer server: ask your administrator to update Ferry on the server.';
    return null;
  }
}
