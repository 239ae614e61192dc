/**
 * What went wrong, as a stable code a caller can branch on:
 * - `invalid`: the input breaks a rule (shape, length, charset); nothing was written.
 * - `not-found`: the message or entry named does not exist in this document.
 * - `exists`: the id is already taken; writing again would overwrite someone's entry.
 * - `forbidden`: the user is not the owner of the entry they try to change.
 * - `read-only`: the entry was written by a newer Ferry; this build shows it but does not change it.
 */
export type ModelErrorCode = 'invalid' | 'not-found' | 'exists' | 'forbidden' | 'read-only';

/** Every rule the model enforces throws this, before anything is written to the document. */
export class ModelError extends Error {
  readonly code: ModelErrorCode;

  constructor(code: ModelErrorCode, message: string) {
    super(message);
    this.name = 'ModelError';
    this.code = code;
  }
}

/** Throws `ModelError('invalid', message)` unless `ok`. */
export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new ModelError('invalid', message);
}

/** Quotes a value for an error message without dumping megabytes of it. */
export function show(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value));
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
