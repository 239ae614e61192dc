// Room names shared by the client and the relay. A room is one Yjs document synced over
// y-websocket: `workspace`, `conv/<id>`, `conv/<id>/p<period>`.

/** Longest room name accepted, in characters. */
export const ROOM_NAME_MAX = 200;

const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * Why `name` is not a valid room name, or null if it is one. Rules: `/`-separated segments of
 * `[A-Za-z0-9._~-]`, no empty segment, at most 200 characters, not starting with `_` (reserved
 * for relay endpoints such as `/_mux`), and no `.` or `..` segment (they would read as paths).
 */
export function roomNameError(name: string): string | null {
  if (name.length === 0) return 'room name is empty';
  if (name.length > ROOM_NAME_MAX) return `room name is longer than ${ROOM_NAME_MAX} characters`;
  if (name.startsWith('_')) return 'room names starting with "_" are reserved for the relay';
  for (const segment of name.split('/')) {
    if (segment.length === 0) return 'room name has an empty segment (leading, trailing or "//")';
    if (segment === '.' || segment === '..') return 'room name has a "." or ".." segment';
    if (!SEGMENT.test(segment)) return 'room name has a character outside [A-Za-z0-9._~-/]';
  }
  return null;
}

export function isValidRoomName(name: string): boolean {
  return roomNameError(name) === null;
}
