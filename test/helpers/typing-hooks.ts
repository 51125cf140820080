// A look into the server's typing work, for specs that must prove an event was NOT sent: they wait until the work
// that could have sent it has finished, then send a later event on the same path and await it, so anything the work
// published has arrived before the check.
import { TypingService } from '../../src/messaging/typing.service.js';
import type { TestApp } from './app.js';
import { eventually } from './sockets.js';

/**
 * Resolves once `app` has finished its typing check for one of `userId`'s sockets leaving (whatever it published
 * is published by then). Call it before closing the socket.
 */
export function typingCheckedOnLeave(app: TestApp, userId: string): Promise<void> {
  const typing = app.app.get(TypingService);
  const original = Object.getPrototypeOf(typing).socketLeft as TypingService['socketLeft'];
  return new Promise((resolve) => {
    typing.socketLeft = async (id: string): Promise<void> => {
      try {
        await original.call(typing, id);
      } finally {
        if (id === userId) {
          delete (typing as Partial<Pick<TypingService, 'socketLeft'>>).socketLeft;
          resolve();
        }
      }
    };
  });
}

interface TypingInternals {
  timers: Map<string, NodeJS.Timeout>;
  expire(conversationId: string, userId: string): Promise<void>;
}

/**
 * Watches `app`'s typing timeouts of `userId` in `conversationId`. `settled()` resolves once none is armed and none
 * is running its check (whatever the timeouts published is published by then). Start watching before the typing.
 */
export function watchTypingTimeouts(
  app: TestApp,
  conversationId: string,
  userId: string,
): { settled(): Promise<void> } {
  const typing = app.app.get(TypingService) as unknown as TypingInternals;
  const original = Object.getPrototypeOf(typing).expire as TypingInternals['expire'];
  const key = `${conversationId}:${userId}`;
  let running = 0;
  // The timer callback calls this.expire: an own property of the instance stands in front of the prototype's.
  typing.expire = async (c: string, u: string): Promise<void> => {
    const watched = `${c}:${u}` === key;
    if (watched) running += 1;
    try {
      await original.call(typing, c, u);
    } finally {
      if (watched) running -= 1;
    }
  };
  return {
    settled: async () => {
      await eventually(() => !typing.timers.has(key) && running === 0);
      delete (typing as Partial<TypingInternals>).expire;
    },
  };
}
