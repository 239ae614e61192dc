// Who may read /metrics (issue 10): loopback by default, anyone holding the metrics token
// (`--metrics-token`), everyone with `--metrics-public`. A refusal says why (401 or 403); a
// signed-in user's token is not the metrics token, and that refusal is audited, coalesced.
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { login, runCli } from './accounts-helpers';
import { removeDir, startRelayProcess, tempDir, type RelayProcess } from './helpers';

const PASSWORD = 'a long enough password';
const TOKEN = 'metrics-token-for-the-tests-0123456789';
/** A proxy in front of the relay adds this; the relay then knows the caller is not local. */
const FROM_AFAR = { 'X-Forwarded-For': '203.0.113.7' };

const started: Array<{ relay: RelayProcess; dir: string }> = [];
afterAll(async () => {
  for (const { relay, dir } of started) {
    await relay.stop();
    removeDir(dir);
  }
});

async function relayWith(args: string[], env: Record<string, string> = {}) {
  const dir = tempDir();
  const r = await runCli(
    ['admin', 'users', 'create', 'ops', '--role', 'admin', '--password-stdin', '--data', dir],
    { stdin: PASSWORD },
  );
  if (r.code !== 0) throw new Error(r.stderr);
  const relay = await startRelayProcess(dir, args, { auth: true, env });
  started.push({ relay, dir });
  return { relay, dir };
}

async function scrape(base: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/metrics`, { headers });
  const text = await res.text();
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  return { status: res.status, text, error, www: res.headers.get('www-authenticate') };
}

/** A non-loopback IPv4 address of this machine, if it has one. */
function outsideAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

describe('/metrics access', () => {
  it('by default: served over loopback, refused (403, with the reason) through a proxy', async () => {
    const { relay } = await relayWith([]);
    const local = await scrape(relay.http);
    expect(local.status).toBe(200);
    expect(local.text).toContain('ferry_connections');
    const far = await scrape(relay.http, FROM_AFAR);
    expect(far.status).toBe(403);
    expect(far.error?.code).toBe('forbidden');
    expect(far.error?.message).toMatch(/loopback/);
    expect(far.error?.message).toMatch(/--metrics-token/);
    expect(far.text).not.toContain('ferry_connections');
  });

  it('by default: refused from another machine (a real non-loopback address)', async (ctx) => {
    const address = outsideAddress();
    if (!address) {
      const reason = 'this machine has no non-loopback address to dial';
      console.log(`metrics-access: "from another machine" skipped: ${reason}`);
      return ctx.skip(reason);
    }
    const { relay } = await relayWith(['--host', '0.0.0.0']);
    const far = await scrape(`http://${address}:${relay.port}`);
    expect(far.status).toBe(403);
  });

  it('with --trust-proxy the forwarded address decides', async () => {
    const { relay } = await relayWith(['--trust-proxy']);
    expect((await scrape(relay.http, FROM_AFAR)).status).toBe(403);
    expect((await scrape(relay.http, { 'X-Forwarded-For': '127.0.0.1' })).status).toBe(200);
  });

  it('with a metrics token (env): the bearer reads from afar; a wrong one gets 401', async () => {
    const { relay, dir } = await relayWith([], { FERRY_METRICS_TOKEN: TOKEN });
    const ok = await scrape(relay.http, { ...FROM_AFAR, Authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('ferry_connections');
    const none = await scrape(relay.http, FROM_AFAR);
    expect(none.status).toBe(401);
    expect(none.www).toMatch(/^Bearer/);
    expect(none.error?.message).toMatch(/metrics token/);
    const wrong = await scrape(relay.http, { ...FROM_AFAR, Authorization: 'Bearer not-it' });
    expect(wrong.status).toBe(401);
    // A signed-in user's access token is not the metrics token: 403, audited once per window.
    const ops = await login(relay.http, 'ops', PASSWORD);
    for (let i = 0; i < 5; i++) {
      const r = await scrape(relay.http, {
        ...FROM_AFAR,
        Authorization: `Bearer ${ops.accessToken}`,
      });
      expect(r.status).toBe(403);
      expect(r.error?.message).toMatch(/metrics token/);
    }
    const audit = (await runCli(['audit', 'export', '--data', dir])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; actor: string | null });
    const refused = audit.filter((e) => e.action === 'metrics.refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.actor).toBe(ops.user.id);
  });

  it('--metrics-public serves everyone', async () => {
    const { relay } = await relayWith(['--metrics-public']);
    expect((await scrape(relay.http, FROM_AFAR)).status).toBe(200);
  });
});
