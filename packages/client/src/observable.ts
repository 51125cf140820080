// A minimal push stream with the Observable interop (`Symbol.observable`), so RxJS `from(stream)` and Angular's
// async pipe take it as it is. Subscribing returns a subscription whose `unsubscribe` undoes it.

export interface Observer<T> {
  next?: (value: T) => void;
  error?: (error: unknown) => void;
  complete?: () => void;
}

export interface Subscription {
  unsubscribe(): void;
  readonly closed: boolean;
}

const observableKey: symbol | string =
  (typeof Symbol === 'function' && (Symbol as { observable?: symbol }).observable) || '@@observable';

export interface Subscribable<T> {
  subscribe(observer?: Observer<T> | ((value: T) => void)): Subscription;
}

/**
 * A multicast stream: `start` runs when the first observer arrives and its cleanup when the last one leaves.
 * With `current`, a late observer first receives the latest value (a behaviour subject).
 */
export class Stream<T> implements Subscribable<T> {
  readonly #observers = new Set<Observer<T>>();
  #stop: (() => void) | undefined;
  #hasValue = false;
  #value: T | undefined;
  readonly #start?: (stream: Stream<T>) => (() => void) | void;
  readonly #replayLast: boolean;

  constructor(start?: (stream: Stream<T>) => (() => void) | void, replayLast = false) {
    this.#start = start;
    this.#replayLast = replayLast;
  }

  get current(): T | undefined {
    return this.#value;
  }

  subscribe(observerOrNext?: Observer<T> | ((value: T) => void)): Subscription {
    // Methods are called on the given object: an RxJS Subscriber keeps them on its prototype.
    const given = observerOrNext;
    const observer: Observer<T> =
      typeof given === 'function'
        ? { next: given }
        : {
            next: (value) => given?.next?.(value),
            error: (error) => given?.error?.(error),
            complete: () => given?.complete?.(),
          };
    this.#observers.add(observer);
    let closed = false;
    if (this.#replayLast && this.#hasValue) observer.next?.(this.#value as T);
    if (this.#observers.size === 1 && this.#start && !this.#stop) this.#stop = this.#start(this) ?? (() => undefined);
    return {
      get closed() {
        return closed;
      },
      unsubscribe: () => {
        if (closed) return;
        closed = true;
        this.#observers.delete(observer);
        if (this.#observers.size === 0 && this.#stop) {
          const stop = this.#stop;
          this.#stop = undefined;
          stop();
        }
      },
    };
  }

  /** Pushes a value to every observer. */
  next(value: T): void {
    this.#value = value;
    this.#hasValue = true;
    for (const observer of [...this.#observers]) observer.next?.(value);
  }

  error(error: unknown): void {
    for (const observer of [...this.#observers]) observer.error?.(error);
  }

  complete(): void {
    for (const observer of [...this.#observers]) observer.complete?.();
    this.#observers.clear();
  }

  get observed(): boolean {
    return this.#observers.size > 0;
  }
}

// The interop key is added by assignment: `Symbol.observable` may not exist, and '@@observable' is RxJS's fallback.
Object.defineProperty(Stream.prototype, observableKey, {
  value: function (this: Stream<unknown>) {
    return this;
  },
});
if (observableKey !== '@@observable') {
  Object.defineProperty(Stream.prototype, '@@observable', {
    value: function (this: Stream<unknown>) {
      return this;
    },
  });
}
