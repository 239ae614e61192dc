// Wire constants of the y-websocket protocol and of Ferry's multiplexed extension
// (sync-server/PROTOCOL.md). Client and relay import them from here.

/** First varUint of every y-websocket message. */
export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
} as const;

/** Second varUint of a sync message (y-protocols/sync). */
export const SyncMessageType = {
  step1: 0,
  step2: 1,
  update: 2,
} as const;

/** First varUint of every frame on the multiplexed endpoint. */
export const MuxFrameKind = {
  data: 0,
  open: 1,
  close: 2,
  /** Room `""`; the rest of the frame is the payload (a new access token, or the answer). */
  auth: 3,
  /**
   * Room `""`; the rest is a sequence of `varUint8Array` frames of the kinds above, handled in
   * order as if each had come alone. The relay sends an empty one first to say it reads them.
   */
  batch: 4,
} as const;

/** Path of the multiplexed endpoint. */
export const MUX_PATH = '/_mux';

/**
 * Close codes. 1xxx are RFC 6455; 4400-4499 are permanent (the stock y-websocket client stops
 * reconnecting), 4500-4599 are transient (it retries with back-off).
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  policyViolation: 1008,
  tooLarge: 1009,
  internalError: 1011,
  /** Over a rate the client can keep to: reconnect later (with back-off), nothing is lost. */
  tryAgainLater: 1013,
  badRoomName: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  replaced: 4409,
  roomTooLarge: 4413,
  unavailable: 4503,
  storageFailed: 4507,
} as const;
