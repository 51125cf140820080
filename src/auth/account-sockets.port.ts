// What auth needs of the realtime core, as a port: auth sits below the core (the core authenticates sockets with
// it), so it names the need and the core (realtime/account-sockets.ts) provides it.

/** Closes every socket of an account, on every instance (after a logout or a revocation). */
export abstract class AccountSockets {
  abstract disconnect(userId: string): void;
}
