// @tus/file-store's FileStore with two changes the relay needs: a full disk is told apart from
// other write failures (507 `disk-full`, not a bare 500), and the SHA-256 of an upload is
// computed from the bytes as they are written, so completing a 1 GB upload does not read it
// back. The running hash lives only in memory: after a restart, or a PATCH that does not
// continue where the hash stopped, it is dropped and the completed file is hashed from disk.
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type http from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { ERRORS } from '@tus/server';
import { FileRefusal } from './answers';

/** Bytes buffered ahead of the disk per upload (bounded: relay memory stays flat). */
const WRITE_BUFFER = 4 * 1024 * 1024;

interface Running {
  sha: Hash;
  offset: number;
}

export class HashingFileStore extends FileStore {
  private readonly running = new Map<string, Running>();

  fileOf(id: string): string {
    return path.join(this.directory, id);
  }

  override async write(
    readable: http.IncomingMessage | Readable,
    id: string,
    offset: number,
  ): Promise<number> {
    let state = this.running.get(id);
    if (!state && offset === 0) state = { sha: createHash('sha256'), offset: 0 };
    if (state && state.offset !== offset) state = undefined;
    this.running.delete(id);
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        state?.sha.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        readable,
        count,
        // A deep buffer: the network keeps filling it while a write is in the thread pool.
        createWriteStream(this.fileOf(id), {
          flags: 'r+',
          start: offset,
          highWaterMark: WRITE_BUFFER,
        }),
      );
    } catch (error) {
      // What reached the disk is unknown to the hash: the file is hashed at the end instead.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new FileRefusal(
          'disk-full',
          'The relay is out of disk space for files; the upload resumes when an admin frees some.',
        );
      }
      throw ERRORS.FILE_WRITE_ERROR;
    }
    if (state) {
      state.offset = offset + received;
      this.running.set(id, state);
    }
    return offset + received;
  }

  /** The SHA-256 of upload `id` if its whole `size` bytes were hashed as they arrived. */
  takeHash(id: string, size: number): string | undefined {
    const state = this.running.get(id);
    this.running.delete(id);
    return state && state.offset === size ? state.sha.digest('hex') : undefined;
  }

  forget(id: string): void {
    this.running.delete(id);
  }
}
