// core/: the environment-neutral part of Ferry, shared by the renderer and the relay.
export * from './version';
export * from './ids';
export * from './hlc';
export * from './model/errors';
export * from './model/checks';
export * from './model/rooms';
export * from './model/page';
export * from './model/meta';
export * from './protocol'; // core/src/protocol/ is owned by the protocol engineer
export * from './model/workspace';
export * from './model/schema';
export * from './model/updates';
export * from './model/directory';
export * from './authz/permissions';
export * from './authz/policy';
export * from './model/mentions';
export * from './model/personal';
export * from './model/events';
export * from './model/forward';
export * from './model/files';
