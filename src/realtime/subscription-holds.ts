// What a room sends a socket whose subscription to it is being answered. The socket joins before its snapshot is read
// (so that nothing published meanwhile is missed), and so it could receive the room's events before the answer that
// carries the snapshot, which a client then applies them to, or overwrites them with: a job's progress came out
// short. Until the answer is sent, the room's published events wait for that socket (the others get them at once),
// then go to it in the order they came. A snapshot that holds the room's ordered stream up to a seq (a job's state
// counts its events) also keeps from that socket the events it already counts, waiting or still on their way.
import type { StreamOrder } from './reorder-buffer.js';

interface Hold {
  /** Subscriptions of the socket to the room not answered yet (a client may send two at once). */
  pending: number;
  /** What the room sent the socket meanwhile, in order. */
  waiting: Array<{ order?: StreamOrder; send: () => void }>;
  /** Where the socket's snapshot holds the room's stream up to: events of that stream up to it are not sent. */
  position?: StreamOrder;
}

export class SubscriptionHolds {
  /** room → socket id → hold. */
  private readonly rooms = new Map<string, Map<string, Hold>>();

  /** The socket subscribes to the room: from now until `release`, what the room sends it waits. */
  hold(room: string, socketId: string): void {
    let sockets = this.rooms.get(room);
    if (!sockets) this.rooms.set(room, (sockets = new Map()));
    const hold = sockets.get(socketId);
    if (hold) hold.pending += 1;
    else sockets.set(socketId, { pending: 1, waiting: [] });
  }

  /** The socket's snapshot holds the stream `position.key` up to `position.seq` (the furthest of two snapshots). */
  holdBackUpTo(room: string, socketId: string, position: StreamOrder): void {
    const hold = this.rooms.get(room)?.get(socketId);
    if (!hold) return;
    const known = hold.position;
    if (!known || known.key !== position.key || known.seq < position.seq) hold.position = position;
  }

  /**
   * The subscription is answered: what waited goes to the socket now (past its position), unless `answered` is false
   * (refused: the socket left the room, and nothing of it is for that socket).
   */
  release(room: string, socketId: string, answered: boolean): void {
    const hold = this.rooms.get(room)?.get(socketId);
    if (!hold || hold.pending === 0) return;
    hold.pending -= 1;
    if (!answered) hold.waiting = [];
    if (hold.pending === 0) {
      const waiting = hold.waiting;
      hold.waiting = [];
      for (const { order, send } of waiting) this.pass(hold, order, send);
    }
    this.forgetIfDone(room, socketId, hold);
  }

  /** Whether any socket of the room has a hold (else `send` needs no per-socket look-up). */
  holdsIn(room: string): boolean {
    return this.rooms.has(room);
  }

  /** Sends an event of the room to the socket (`send`) as its hold allows: now, later, or not at all. */
  send(room: string, socketId: string, order: StreamOrder | undefined, send: () => void): void {
    const hold = this.rooms.get(room)?.get(socketId);
    if (!hold) return send();
    if (hold.pending > 0) hold.waiting.push({ order, send });
    else this.pass(hold, order, send);
    this.forgetIfDone(room, socketId, hold);
  }

  /**
   * The socket left the room. A hold whose subscription is still being answered stays (the room's last event, sent
   * as its entity is deleted, takes its sockets out of the room: one subscribing then still gets it after its answer).
   */
  leave(room: string, socketId: string): void {
    const hold = this.rooms.get(room)?.get(socketId);
    if (!hold) return;
    hold.position = undefined;
    this.forgetIfDone(room, socketId, hold);
  }

  private pass(hold: Hold, order: StreamOrder | undefined, send: () => void): void {
    if (order && hold.position?.key === order.key) {
      if (order.seq <= hold.position.seq) return;
      hold.position = undefined;
    }
    send();
  }

  private forgetIfDone(room: string, socketId: string, hold: Hold): void {
    if (hold.pending > 0 || hold.position) return;
    const sockets = this.rooms.get(room);
    if (sockets?.get(socketId) === hold) {
      sockets.delete(socketId);
      if (sockets.size === 0) this.rooms.delete(room);
    }
  }
}
