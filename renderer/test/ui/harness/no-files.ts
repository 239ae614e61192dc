// A FilesApi that holds nothing (issue 13): lets the fake client satisfy FerryClient until the
// UI's own fake files (engineer U) replace it. Every file is 'remote' and cannot be opened.
import { ApiError, type FilesApi } from '../../../src/data/api';

const once =
  <T>(v: T) =>
  (listener: (v: T) => void) => {
    listener(v);
    return () => undefined;
  };

export function noFiles(): FilesApi {
  return {
    limits: once<{ maxFileBytes: number } | null>({ maxFileBytes: 2 * 1024 ** 3 }),
    problem: () => null,
    transfer: () => once({ state: 'remote' as const }),
    open: () => Promise.reject(new ApiError('offline', 'Files are not part of this fake.')),
    cancel: () => Promise.resolve(),
    retry: () => undefined,
    list: () => Promise.resolve([]),
    keptOffline: once<ReadonlySet<string>>(new Set()),
    keepOffline: () => Promise.resolve(),
    cache: once({ bytes: 0, limit: 1024 ** 3 }),
    setCacheLimit: () => Promise.resolve(),
  };
}
