// Counters pushed to every device of a user, when writes and reads of them cross instances: a conversation's unread
// count (`inbox:update`) and the notification count (`notifications:unread`). Events computed on different
// instances may arrive in any order; each carries what orders it, and a device that follows the contract's rule
// ends on the API's number, every round.
import type { Socket } from 'socket.io-client';
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { createUsers, loginAdmin } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { connect, emitAck, eventually, sleep } from '../helpers/sockets.js';

const ROUNDS = 12;

interface InboxUpdate {
  conversationId: string;
  unreadCount: number;
  lastMessageSeq: number;
  lastReadSeq: number;
}

/** A device's conversation badge, merged as the contract says: the highest of each seq. */
class InboxBadge {
  lastMessageSeq = 0;
  lastReadSeq = 0;
  events = 0;

  constructor(socket: Socket, conversationId: string) {
    socket.on('inbox:update', (update: InboxUpdate) => {
      if (update.conversationId !== conversationId) return;
      this.events += 1;
      this.lastMessageSeq = Math.max(this.lastMessageSeq, update.lastMessageSeq);
      this.lastReadSeq = Math.max(this.lastReadSeq, update.lastReadSeq);
    });
  }

  get unread(): number {
    return Math.max(0, this.lastMessageSeq - this.lastReadSeq);
  }
}

/** A device's notification badge: the count of the highest version seen. */
class NotificationBadge {
  version = 0;
  count = 0;

  constructor(socket: Socket) {
    socket.on('notifications:unread', (update: { count: number; version: number }) => {
      if (update.version <= this.version) return;
      this.version = update.version;
      this.count = update.count;
    });
  }
}

const jitter = () => sleep(Math.floor(Math.random() * 4));

describeMultiInstance('Counters written and read through both instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
  });

  it("should leave every device of a member on the API's unread count of a conversation, every round", async () => {
    const [sender, reader] = await createUsers(a, 2, 'Counter');
    const created = await client(a.url).post('/api/v1/conversations', {
      token: sender.token,
      body: { memberIds: [reader.id] },
    });
    const conversationId: string = created.body.id;
    const senders = [await connect(a.url, sender.token), await connect(b.url, sender.token)];
    const devices = [await connect(a.url, reader.token), await connect(b.url, reader.token)];
    const badges = devices.map((socket) => new InboxBadge(socket, conversationId));

    for (let round = 0; round < ROUNDS; round += 1) {
      let lastSeq = 0;
      const send = async (i: number) => {
        await jitter();
        const ack = await emitAck(senders[i % 2], 'message:send', { conversationId, body: `r${round} m${i}` });
        if (!ack.ok) throw new Error(`send: ${JSON.stringify(ack)}`);
        lastSeq = Math.max(lastSeq, ack.data.seq);
      };
      // The reader marks whatever it has seen so far as read, from either device or over REST.
      const read = async (i: number) => {
        await jitter();
        const seq = Math.max(1, Math.max(...badges.map((badge) => badge.lastMessageSeq)));
        if (i % 3 === 2) {
          const res = await client(i % 2 ? b.url : a.url).post(`/api/v1/conversations/${conversationId}/read`, {
            token: reader.token,
            body: { seq },
          });
          if (res.status !== 200) throw new Error(`read: ${res.status}`);
        } else {
          const ack = await emitAck(devices[i % 2], 'message:read', { conversationId, seq });
          if (!ack.ok) throw new Error(`read: ${JSON.stringify(ack)}`);
        }
      };
      await Promise.all([
        ...Array.from({ length: 8 }, (_, i) => send(i)),
        ...Array.from({ length: 8 }, (_, i) => read(i)),
      ]);
      // Half the rounds end read up to the last message, half with some left unread.
      if (round % 2 === 0) {
        const ack = await emitAck(devices[round % 4 === 0 ? 0 : 1], 'message:read', { conversationId, seq: lastSeq });
        expect(ack.ok).toBe(true);
      }

      const truth = await client(a.url).get(`/api/v1/conversations/${conversationId}`, { token: reader.token });
      expect(truth.status).toBe(200);
      await eventually(() => {
        expect(badges.map((badge) => badge.unread)).toEqual([truth.body.unreadCount, truth.body.unreadCount]);
        expect(badges.map((badge) => badge.lastMessageSeq)).toEqual([lastSeq, lastSeq]);
      }, 5000);
    }
  });

  it("should leave every device of a user on the API's notification count, every round", async () => {
    const admin = await loginAdmin(a);
    const [user] = await createUsers(a, 1, 'Notified');
    const devices = [await connect(a.url, user.token), await connect(b.url, user.token)];
    const badges = devices.map((socket) => new NotificationBadge(socket));
    const apps = [a, b];

    for (let round = 0; round < ROUNDS; round += 1) {
      const created: string[] = [];
      const notify = async (i: number) => {
        await jitter();
        const res = await client(apps[i % 2].url).post('/api/v1/notifications', {
          token: admin.token,
          body: { userIds: [user.id], type: 'test', title: `r${round} n${i}` },
        });
        if (res.status !== 201) throw new Error(`notify: ${res.status}`);
        created.push(res.body.items[0].id);
      };
      const read = async (i: number) => {
        await jitter();
        const id = created[Math.floor(Math.random() * created.length)];
        if (id === undefined) return;
        if (i % 2 === 0) {
          const ack = await emitAck(devices[(i / 2) % 2], 'notification:read', { id });
          if (!ack.ok) throw new Error(`read: ${JSON.stringify(ack)}`);
        } else {
          const res = await client(apps[(i + 1) % 2].url).post(`/api/v1/notifications/${id}/read`, {
            token: user.token,
          });
          if (res.status !== 200) throw new Error(`read: ${res.status}`);
        }
      };
      const operations = [
        ...Array.from({ length: 8 }, (_, i) => notify(i)),
        ...Array.from({ length: 6 }, (_, i) => read(i)),
      ];
      if (round % 3 === 1) {
        operations.push(
          jitter().then(async () => {
            const ack = await emitAck(devices[round % 2], 'notification:read_all', {});
            if (!ack.ok) throw new Error(`read all: ${JSON.stringify(ack)}`);
          }),
        );
      }
      await Promise.all(operations);

      const truth = await client(b.url).get('/api/v1/notifications/unread-count', { token: user.token });
      expect(truth.status).toBe(200);
      await eventually(() => {
        expect(badges.map((badge) => [badge.count, badge.version])).toEqual([
          [truth.body.count, truth.body.version],
          [truth.body.count, truth.body.version],
        ]);
      }, 5000);
    }
  });
});
