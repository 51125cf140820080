// A look into the server's handling of a kiosk socket leaving, for specs that must prove a workstation was NOT
// taken offline: they wait until the leave has been handled (and the offline countdown started, if it was), then
// for the countdown and the scheduler, then send a barrier event.
import { workstationRoom } from '../../src/kiosk/kiosk-events.js';
import { WorkstationsService } from '../../src/kiosk/workstations.service.js';
import type { Principal } from '../../src/auth/principal.js';
import { ChannelService } from '../../src/realtime/channel.service.js';
import type { TestApp } from './app.js';

/**
 * Resolves, with the time it did, once `app` has handled a socket of workstation `workstationId` leaving: its look
 * for the workstation's other sockets, and the offline countdown it starts when it finds none. Call it before
 * closing the socket; the first look for the workstation's sockets after the call must be the leave's.
 */
export function kioskLeaveHandled(app: TestApp, workstationId: string): Promise<number> {
  const rooms = app.app.get(ChannelService);
  const workstations = app.app.get(WorkstationsService);
  const lookUp = Object.getPrototypeOf(rooms).principalsIn as ChannelService['principalsIn'];
  const startCountdown = Object.getPrototypeOf(workstations).lastSocketLeft as WorkstationsService['lastSocketLeft'];
  const room = workstationRoom(workstationId);
  let countdown: Promise<void> | undefined;
  const restore = () => {
    delete (rooms as Partial<Pick<ChannelService, 'principalsIn'>>).principalsIn;
    delete (workstations as Partial<Pick<WorkstationsService, 'lastSocketLeft'>>).lastSocketLeft;
  };
  return new Promise((resolve, reject) => {
    workstations.lastSocketLeft = (actor: Principal): Promise<void> => {
      const started = startCountdown.call(workstations, actor);
      if (actor.id === workstationId) countdown = started;
      return started;
    };
    // An own property of the instance stands in front of the prototype's method the gateway calls.
    rooms.principalsIn = async (asked: string | string[]): Promise<Principal[]> => {
      if (asked !== room) return lookUp.call(rooms, asked);
      delete (rooms as Partial<Pick<ChannelService, 'principalsIn'>>).principalsIn;
      try {
        return await lookUp.call(rooms, asked);
      } finally {
        // The gateway goes on (and starts the countdown, if it does) in the microtasks after this answer; a
        // macrotask later it has.
        setImmediate(() => {
          Promise.resolve(countdown).then(
            () => {
              restore();
              resolve(Date.now());
            },
            (err: unknown) => {
              restore();
              reject(err as Error);
            },
          );
        });
      }
    };
  });
}
