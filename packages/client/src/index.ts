// @realtime-hub/client: the framework-free core (browser and Node). React hooks: '@realtime-hub/client/react'.
export {
  AckFailure,
  type ChannelHandlers,
  type ClientOptions,
  type ConnectionState,
  createClient,
  RealtimeClient,
  type TokenRequest,
} from './client.js';
export { type InboxEntry, mergeInbox, mergeReadReceipt, mergeUnread, newerPresence, newerVersion } from './merge.js';
export { type Observer, Stream, type Subscribable, type Subscription } from './observable.js';
export { type paths, type RestClient, RestError, RestTimeout } from './rest.js';
export { type SeqItem, type SeqSource, SeqSequencer, type SeqStreamOptions } from './seq-stream.js';
// The protocol's types, and its runtime helpers a client needs (not the AsyncAPI builder, kept out of bundles).
export type * from '@realtime-hub/protocol';
export { channelOf, channels, ConnectErrors, ErrorCodes, isAckOk, parseChannel } from '@realtime-hub/protocol';
