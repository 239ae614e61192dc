// Helpers for the accounts tests: JSON calls against a real relay's /api/v1.
import { spawn } from 'node:child_process';
import { RELAY_BUNDLE, repoRoot, TEST_ARGON2 } from './helpers';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Tokens {
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  user: { id: string; username: string; role: string };
}

/** One JSON call; `token` goes in `Authorization: Bearer`. Never throws on HTTP errors. */
export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  route: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(`${base}/api/v1${route}`, { method, headers, body });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : null) as T,
    headers: res.headers,
  };
}

export const errorCode = (r: ApiResponse) =>
  (r.body as { error?: { code?: string } } | null)?.error?.code;

export async function login(
  base: string,
  username: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<Tokens> {
  const r = await api<Tokens>(base, 'POST', '/auth/login', {
    body: { username, password, ...extra },
  });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ferry-relay <args>` (e.g. `admin users create …`) to completion. */
export function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [RELAY_BUNDLE, ...args], {
      cwd: repoRoot,
      env: { ...process.env, FERRY_LOG_LEVEL: 'warn', ...TEST_ARGON2, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
    proc.stdin.end(options.stdin ?? '');
  });
}
