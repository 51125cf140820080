// An Angular service on @realtime-hub/client. The client's streams implement Symbol.observable, so at run time RxJS
// `from()` and the `async` pipe take them as they are; their declared type does not say so yet, hence `observe()`,
// which is typed and does the same. Type-checked by test/tools/first-contact.spec.ts against a declaration of the
// three @angular/core names it uses (angular-core.d.ts), so CI installs no Angular; in an app, delete that file.
import { Injectable, inject, type OnDestroy } from '@angular/core';
import { channels, createClient, type NotificationPayload, type StatsPayload, type Stream } from '@realtime-hub/client';
import { Observable, scan, shareReplay } from 'rxjs';

/** A client stream as an RxJS Observable; unsubscribing unsubscribes from the stream. */
export function observe<T>(stream: Stream<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const subscription = stream.subscribe(subscriber);
    return () => subscription.unsubscribe();
  });
}

/** Your app's sign-in state: the current access token, or a fresh one (POST /api/v1/auth/refresh, else sign in). */
export abstract class AuthService {
  abstract token(fresh: boolean): Promise<string>;
}

@Injectable({ providedIn: 'root' })
export class HubService implements OnDestroy {
  // Injected in a field declared before the client's: class fields are set in order, before a constructor's body, and
  // createClient() asks for the first token at once (a constructor parameter would still be undefined then, under
  // ES2022 class fields, and the first handshake would go without a token).
  private readonly auth = inject(AuthService);
  private readonly hub = createClient({
    url: window.location.origin,
    getToken: ({ reason }) => this.auth.token(reason !== 'connect'),
  });

  /** connecting | online | reconnecting | polling | offline | unauthorized */
  readonly state$ = observe(this.hub.connection);
  readonly unread$ = observe(this.hub.unreadCount());
  /** The 50 newest notifications since the service started, newest first. */
  readonly notifications$: Observable<NotificationPayload[]> = observe(this.hub.notifications()).pipe(
    scan((list, n) => [n, ...list].slice(0, 50), [] as NotificationPayload[]),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /** Live dashboard counts (admins): the snapshot on every (re)subscription, then each update. */
  stats$(): Observable<StatsPayload> {
    return new Observable<StatsPayload>((subscriber) =>
      this.hub.subscribe(channels.dashboard(), {
        snapshot: (stats) => subscriber.next(stats),
        stats_update: (stats) => subscriber.next(stats),
        error: (error) => subscriber.error(error),
      }),
    );
  }

  send(conversationId: string, body: string) {
    return this.hub.messages.send(conversationId, body);
  }

  /** Read marks: over the socket while it is up, over REST while the client polls or the socket does not answer. */
  markRead(conversationId: string, seq: number) {
    return this.hub.messages.read(conversationId, seq);
  }

  /** One notification read, or every one without an id. */
  markNotificationsRead(id?: string) {
    return this.hub.readNotification(id);
  }

  ngOnDestroy(): void {
    this.hub.close();
  }
}
