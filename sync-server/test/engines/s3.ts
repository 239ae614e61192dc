// A real S3-compatible server for the tests (issue 14): s3rver on 127.0.0.1, an ephemeral port
// and a temporary directory, with one bucket. `stop()` cuts it (open connections too, as a
// crashed store would); `restart()` brings it back on the same port and directory.
import { randomBytes } from 'node:crypto';
import S3rver from 's3rver';
import { removeDir, tempDir } from '../helpers';

/** s3rver's built-in account (it checks request signatures against it). */
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

export class S3Engine {
  private server: S3rver | null = null;
  port = 0;
  readonly bucket = `ferry-${randomBytes(4).toString('hex')}`;

  private constructor(readonly dir: string) {}

  static async start(): Promise<S3Engine> {
    const engine = new S3Engine(tempDir());
    await engine.run(0);
    return engine;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async run(port: number): Promise<void> {
    const server = new S3rver({
      address: '127.0.0.1',
      port,
      directory: this.dir,
      silent: true,
      configureBuckets: [{ name: this.bucket }],
    });
    const where = await server.run();
    this.server = server;
    this.port = where.port;
  }

  /** Relay flags for this bucket (with `prefix` under it); credentials go in `env`. */
  args(prefix = ''): string[] {
    return [
      '--blobs',
      `s3://${this.bucket}${prefix ? `/${prefix}` : ''}`,
      '--s3-endpoint',
      this.endpoint,
      '--s3-force-path-style',
    ];
  }

  env(): Record<string, string> {
    return { FERRY_S3_ACCESS_KEY_ID: S3_ACCESS_KEY, FERRY_S3_SECRET_ACCESS_KEY: S3_SECRET_KEY };
  }

  /** Stops serving at once, dropping open connections. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = server.close();
    server.httpServer.closeAllConnections();
    await closed;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.run(this.port);
  }

  async destroy(): Promise<void> {
    await this.stop();
    removeDir(this.dir);
  }
}
