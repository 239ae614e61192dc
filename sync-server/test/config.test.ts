// Configuration: flags over environment over config file, one clear error per wrong value.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseS3Url } from '../src/blobs/s3-url';
import { ConfigError, helpText, OPTIONS, parseArgs } from '../src/config';
import { removeDir, repoRoot, tempDir } from './helpers';

const dir = tempDir('ferry-config-test-');
afterAll(() => removeDir(dir));

describe('config', () => {
  it('has defaults and reads flags, env and a JSON file in that order of precedence', () => {
    expect(parseArgs([], {}).config).toMatchObject({ host: '127.0.0.1', port: 7880 });
    const file = path.join(dir, 'relay.json');
    writeFileSync(file, JSON.stringify({ port: 1000, roomIdleMs: 5, 'log-level': 'debug' }));
    const parsed = parseArgs(['--config', file, '--port=3000'], {
      FERRY_PORT: '2000',
      FERRY_ROOM_IDLE_MS: '7',
    });
    expect(parsed.config).toMatchObject({ port: 3000, roomIdleMs: 7, logLevel: 'debug' });
    expect(parsed.command).toBe('serve');
    expect(parseArgs(['backup', 'x.db'], {})).toMatchObject({ command: 'backup', file: 'x.db' });
  });

  it('reports every wrong value at once, each with its source', () => {
    let error: unknown;
    try {
      parseArgs(['--port', '70000', '--room-idle-ms', '-1', '--nope', '1', '--tls-cert', '/x'], {
        FERRY_LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toMatch(/--port: "70000" is not a port/);
    expect(text).toMatch(/--room-idle-ms: "-1" is not an integer >= 0/);
    expect(text).toMatch(/--nope: unknown option/);
    expect(text).toMatch(/FERRY_LOG_LEVEL: "loud" is not one of/);
    expect(text).toMatch(/--tls-cert and --tls-key: give both/);
  });

  it('/metrics: loopback only unless a token (16+ characters) or --metrics-public is given', () => {
    expect(parseArgs([], {}).config).toMatchObject({ metricsToken: null, metricsPublic: false });
    const token = 'x'.repeat(32);
    expect(parseArgs([], { FERRY_METRICS_TOKEN: token }).config.metricsToken).toBe(token);
    expect(parseArgs(['--metrics-public'], {}).config.metricsPublic).toBe(true);
    expect(() => parseArgs(['--metrics-token', 'short'], {})).toThrow(
      /--metrics-token: too short; use at least 16/,
    );
  });

  it('files on S3: --blobs and the --s3-* options from flags, FERRY_* and the file, checked', () => {
    expect(parseArgs([], {}).config).toMatchObject({ blobs: null, s3ForcePathStyle: false });
    const file = path.join(dir, 's3.json');
    writeFileSync(
      file,
      JSON.stringify({
        blobs: 's3://from-file',
        s3Region: 'eu-west-3',
        's3-force-path-style': true,
      }),
    );
    const parsed = parseArgs(['--config', file, '--blobs', 's3://team-files/ferry/'], {
      FERRY_S3_ENDPOINT: 'http://127.0.0.1:9000',
      FERRY_S3_ACCESS_KEY_ID: 'id',
      FERRY_S3_SECRET_ACCESS_KEY: 'secret',
    });
    expect(parsed.config).toMatchObject({
      blobs: 's3://team-files/ferry/',
      s3Endpoint: 'http://127.0.0.1:9000',
      s3Region: 'eu-west-3',
      s3ForcePathStyle: true,
      s3AccessKeyId: 'id',
      s3SecretAccessKey: 'secret',
    });
    expect(parseS3Url('s3://team-files/ferry/')).toEqual({
      bucket: 'team-files',
      prefix: 'ferry/',
    });
    expect(parseS3Url('s3://team-files')).toEqual({ bucket: 'team-files', prefix: '' });
    let error: unknown;
    try {
      parseArgs(['--blobs', 'https://x/y', '--s3-access-key-id', 'only-the-id'], {});
    } catch (e) {
      error = e;
    }
    const text = (error as Error).message;
    expect(text).toMatch(/--blobs: "https:\/\/x\/y" is neither s3:\/\/BUCKET/);
    expect(text).toMatch(/--s3-access-key-id and --s3-secret-access-key: give both/);
    expect(() => parseArgs(['--blobs', 's3://UPPER/../x'], {})).toThrow(/--blobs/);
    // A wrong secret is named by its source, never echoed.
    expect(() => parseArgs([], { FERRY_S3_SECRET_ACCESS_KEY: ' ' })).toThrow(
      /FERRY_S3_SECRET_ACCESS_KEY: must be a non-empty string/,
    );
  });

  it('documents every option in --help', () => {
    const help = helpText();
    for (const o of OPTIONS) expect(help).toContain(`--${o.flag}`);
    expect(parseArgs(['--help'], {}).command).toBe('help');
  });

  it('the ferry-relay bin prints help, and exits 2 with the reasons on a bad value', () => {
    const bin = path.join(repoRoot, 'sync-server/bin/ferry-relay.js');
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--room-idle-ms');
    const bad = spawnSync(process.execPath, [bin, '--port', 'x'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--port: "x" is not an integer/);
  });
});
