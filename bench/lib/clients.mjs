// A pool of client processes (one process cannot receive 1,000 sockets' events on time).
import { fork } from 'node:child_process';
import { join } from 'node:path';

export class ClientPool {
  constructor(size) {
    this.workers = Array.from({ length: size }, () => {
      const child = fork(join(import.meta.dirname, '..', 'client-worker.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const pending = new Map();
      child.on('message', ({ id, result, error }) => {
        const p = pending.get(id);
        pending.delete(id);
        if (error) p?.reject(new Error(error));
        else p?.resolve(result);
      });
      return { child, pending, next: 0 };
    });
  }

  call(index, cmd, args) {
    const worker = this.workers[index];
    const id = (worker.next += 1);
    return new Promise((resolve, reject) => {
      worker.pending.set(id, { resolve, reject });
      worker.child.send({ id, cmd, args });
    });
  }

  /** Runs a command on every worker; `argsFor(i)` gives each its arguments. */
  all(cmd, argsFor = () => ({})) {
    return Promise.all(this.workers.map((_, i) => this.call(i, cmd, argsFor(i))));
  }

  get size() {
    return this.workers.length;
  }

  async close() {
    await this.all('close').catch(() => undefined);
    for (const { child } of this.workers) child.kill();
  }
}

/** Splits `total` as evenly as possible over `parts`. */
export function split(total, parts, index) {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
