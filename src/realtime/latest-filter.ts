// State events (a member's inbox line, a member's read mark) each carry the whole state of something at a version
// that only grows. Copies published by different instances can reach an instance's sockets out of order (the local
// copy at once, another instance's through Redis): the filter lets through only a version above the last one this
// instance delivered in the room, so that a socket's last event is the newest state, never one gone by.

export class LatestFilter {
  /** room → key → the highest version delivered; a room's keys are dropped together when its last local socket leaves. */
  private readonly rooms = new Map<string, Map<string, number>>();

  /** True, and remembered, when `version` is above the last one delivered for `key` in `room`; false for a stale one. */
  admit(room: string, key: string, version: number): boolean {
    let versions = this.rooms.get(room);
    if (!versions) {
      versions = new Map();
      this.rooms.set(room, versions);
    }
    const last = versions.get(key);
    if (last !== undefined && version <= last) return false;
    versions.set(key, version);
    return true;
  }

  forgetRoom(room: string): void {
    this.rooms.delete(room);
  }
}
