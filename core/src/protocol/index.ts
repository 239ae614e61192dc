// The wire protocol shared by client and relay: room names, message constants, the
// multiplexed endpoint's frames and its client.
export * from './rooms';
export * from './messages';
export * from './mux-frames';
export * from './mux-client';
