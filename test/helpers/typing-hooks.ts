// A look into the server's typing work, for specs that must prove an event was NOT sent: they wait until the work
// that could have sent it has finished, then send a later event on the same path and await it, so anything the work
// published has arrived before the check.
import { TypingService } from '../../src/messaging/typing.service.js';
import type { TestApp } from './app.js';

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
