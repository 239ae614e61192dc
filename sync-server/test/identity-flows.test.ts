// The two short-lived secrets of an OIDC sign-in (issue 15, identity/oidc-flows.ts) on the
// relay's real database: bounded, single use, expiring, and a code only for its verifier.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OidcFlows, FLOW_TTL_MS, CODE_TTL_MS } from '../src/identity/oidc-flows';
import { Store } from '../src/store';
import { removeDir, tempDir } from './helpers';

let dir: string;
let store: Store;
let now = 1_000_000;
const clock = () => now;

beforeEach(() => {
  dir = tempDir();
  store = new Store(dir);
  now = 1_000_000;
  store.db
    .prepare(
      `INSERT INTO users (id, username, display_name, role, password_hash, created_at, password_changed_at)
       VALUES ('u1', 'u1', 'U One', 'member', '!directory', 0, 0)`,
    )
    .run();
});
afterEach(() => {
  store.close();
  removeDir(dir);
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const flow = (state: string) => ({
  state,
  nonce: 'n-' + state,
  verifier: 'v-' + state,
  app: 'web' as const,
  challenge: pkce().challenge,
});

describe('OIDC flows and one-time codes', () => {
  it('a flood of starts stops at the cap (503 to the caller), and room comes back as flows expire', () => {
    const flows = new OidcFlows(store.db, clock, 50);
    for (let i = 0; i < 50; i++) expect(flows.put(flow(`s${i}`))).toBe(true);
    expect(flows.put(flow('one-too-many'))).toBe(false);
    const rows = () =>
      (store.db.prepare('SELECT COUNT(*) AS n FROM oidc_flows').get() as { n: number }).n;
    expect(rows()).toBe(50);
    now += FLOW_TTL_MS;
    const state = randomBytes(24).toString('base64url');
    expect(flows.put({ ...flow('later'), state })).toBe(true);
    expect(rows()).toBe(1);
    // Only a hash of the state is stored: a copy of the database cannot answer a callback.
    const stored = JSON.stringify(store.db.prepare('SELECT * FROM oidc_flows').all());
    expect(stored).not.toContain(state);
  });

  it('a state works once and not after 10 minutes', () => {
    const flows = new OidcFlows(store.db, clock);
    flows.put(flow('a'));
    flows.put(flow('b'));
    expect(flows.take('a')?.nonce).toBe('n-a');
    expect(flows.take('a')).toBeNull();
    now += FLOW_TTL_MS + 1;
    expect(flows.take('b')).toBeNull();
    expect(flows.take('never-issued')).toBeNull();
  });

  it('a code works once, for 60 s, only with its verifier; a wrong verifier burns it', () => {
    const flows = new OidcFlows(store.db, clock);
    const mine = pkce();
    const code = flows.issueCode('u1', mine.challenge, 'sid-1');
    expect(flows.redeem(code, pkce().verifier)).toEqual({ refused: 'wrong verifier' });
    expect(flows.redeem(code, mine.verifier)).toEqual({ refused: 'unknown or already used code' });
    const again = flows.issueCode('u1', mine.challenge, 'sid-1');
    expect(flows.redeem(again, mine.verifier)).toEqual({ user: 'u1', idpSession: 'sid-1' });
    expect(flows.redeem(again, mine.verifier)).toEqual({ refused: 'unknown or already used code' });
    const late = flows.issueCode('u1', mine.challenge, null);
    now += CODE_TTL_MS;
    expect(flows.redeem(late, mine.verifier)).toEqual({ refused: 'expired code' });
    // Expired codes go at the next issue: the table does not grow with abandoned sign-ins.
    for (let i = 0; i < 20; i++) flows.issueCode('u1', mine.challenge, null);
    now += CODE_TTL_MS;
    flows.issueCode('u1', mine.challenge, null);
    expect(
      (store.db.prepare('SELECT COUNT(*) AS n FROM oidc_codes').get() as { n: number }).n,
    ).toBe(1);
  });
});
