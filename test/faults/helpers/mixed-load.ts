// The mixed load every fault scenario runs through the client SDK (@realtime-hub/client), and its counting.
//
// Kinds: chat (each user's client sends with a clientId into one group conversation), votes (users flip their vote on
// a few suggestions), notifications (an admin notifies every user), a job (its worker posts item events with a worker
// token) and, when asked, a kiosk session (a workstation's client runs it to its end). After the fault, `settle()`
// stops the load, lets every client resync, and counts per kind:
// - acknowledged: answered as done to the one who asked (an ack, a 2xx);
// - stored: of those, found in the database afterwards (over REST);
// - delivered: of those, seen by every client that should have them, after resync;
// - lost: acknowledged but not stored, or not delivered to one of its clients;
// - duplicated: stored twice, or delivered twice to one client.
// What was refused or never answered is not acknowledged, so nothing was promised (`notAcknowledged` says how much).
import {
  AckFailure,
  type JobEventPayload,
  type MessagePayload,
  type NotificationPayload,
  type RealtimeClient,
  type SuggestionVotePayload,
} from '@realtime-hub/client';
import { randomUUID } from 'node:crypto';
import { sdkClient, waitUntil } from '../../helpers/client.js';
import { client as httpClient, http } from '../../helpers/http.js';
import { sleep } from '../../helpers/sockets.js';
import { ADMIN, member, type Member, storedMessages } from './faults.js';

export interface KindCounts {
  acknowledged: number;
  stored: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** Refused, or never answered (not acknowledged, so not promised). */
  notAcknowledged: number;
}

/** The kiosk session's due events (started, one warning per threshold, terminated) on the workstation's client. */
export interface KioskCounts {
  /** validate_code and start_session. */
  acknowledged: number;
  due: number;
  /** Due events seen exactly once. */
  delivered: number;
  /** Due events never seen, plus 1 when the session is not stored as ended (`expired`). */
  lost: number;
  /** Due events seen more than once, and tick moments (a remainingSeconds) seen more than once. */
  duplicated: number;
  /** time_update events seen. */
  ticks: number;
  /** When session_terminated arrived, minus the session's endsAt (ms). */
  endedOffByMs: number;
}

export interface LoadCounts {
  chat: KindCounts;
  votes: KindCounts;
  notifications: KindCounts;
  job: KindCounts;
  kiosk?: KioskCounts;
}

export interface MixedLoadOptions {
  /** Where users register and the counting reads (REST). */
  restUrl: string;
  /** Where the users' SDK clients connect (an instance, or a proxy in front of several); a list: in turn. */
  clientUrl: string | string[];
  /** Where the admin's and the worker's SDK clients connect (default clientUrl). */
  serviceUrl?: string;
  /** SDK users (default 3): members of one conversation, voters, recipients. */
  users?: number;
  /** A kiosk session of this length, its workstation's client on `url` (default serviceUrl). */
  kiosk?: { durationSeconds: number; warningSeconds: number[]; url?: string };
  /** The pause between two operations of one lane (default 150 ms). */
  paceMs?: number;
}

type Kiosk = NonNullable<MixedLoadOptions['kiosk']>;

interface Lane {
  running: boolean;
  done: Promise<void>;
}

/**
 * An SDK client with the spec timings of test/helpers/client.ts (closed by closeAllClients()), but the SDK's own
 * 10 s for an acknowledgement: what the fault specs check is that nothing acknowledged is lost, not how fast, and
 * an instance cut from Redis, on a CI machine whose two cores the whole run keeps busy, once acknowledged a message
 * after the specs' usual 3 s.
 */
export function faultClient(url: string, token: string): RealtimeClient {
  return sdkClient(url, token, { timeoutMs: 10_000 }).client;
}

/** Where `ok` records what it saw. */
interface AnswerLog {
  statuses: number[];
  slowestMs: number;
}

/** An openapi-fetch answer's data, or throws; logs its status (0: no answer) and how long it took. */
async function ok<T>(log: AnswerLog, call: () => Promise<{ data?: T; response: Response }>): Promise<T> {
  const started = Date.now();
  let status = 0;
  try {
    const result = await call();
    status = result.response.status;
    if (!result.response.ok) throw new Error(`HTTP ${status}`);
    return result.data as T;
  } finally {
    log.statuses.push(status);
    log.slowestMs = Math.max(log.slowestMs, Date.now() - started);
  }
}

/** Retries `op` until it answers (an idempotent operation only), for at most `timeoutMs`. */
async function untilAnswered<T>(op: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

export async function adminToken(url: string): Promise<string> {
  const res = await http(url, 'POST', '/api/v1/auth/login', { body: ADMIN });
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken;
}

/**
 * Counts of one kind: `acknowledged` keys; how often each is stored (per store, e.g. per user's list) and delivered
 * (per client); `recipients` says which clients (and stores) should have a key (default all).
 */
function tally(
  acknowledged: string[],
  stores: Map<string, number>[],
  clients: Map<string, number>[],
  notAcknowledged: number,
  recipients?: (key: string) => number[],
): KindCounts {
  const counts: KindCounts = {
    acknowledged: acknowledged.length,
    stored: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    notAcknowledged,
  };
  for (const key of acknowledged) {
    const storedIn = stores.length === 1 ? [stores[0]] : (recipients?.(key) ?? []).map((i) => stores[i]);
    const to = recipients ? recipients(key).map((i) => clients[i]) : clients;
    const isStored = storedIn.every((store) => (store?.get(key) ?? 0) > 0);
    const isDelivered = to.every((seen) => (seen?.get(key) ?? 0) > 0);
    if (isStored) counts.stored += 1;
    if (isStored && isDelivered) counts.delivered += 1;
    else counts.lost += 1;
  }
  for (const map of [...stores, ...clients]) for (const count of map.values()) if (count > 1) counts.duplicated += 1;
  return counts;
}

/** Every item of a list read with `afterSeq`, oldest first, page after page. */
async function pages<T extends { seq: number }>(
  api: ReturnType<typeof httpClient>,
  path: string,
  token: string,
): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    const after = items.length === 0 ? 0 : items[items.length - 1].seq;
    const page = await api.get(`${path}?afterSeq=${after}&limit=100`, { token });
    if (page.status !== 200) throw new Error(`${path}: ${page.status}`);
    items.push(...(page.body.items as T[]));
    if (page.body.items.length < 100) return items;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export class MixedLoad {
  users: Member[] = [];
  clients: RealtimeClient[] = [];
  admin!: RealtimeClient;
  worker!: RealtimeClient;
  kioskClient?: RealtimeClient;
  conversationId = '';
  suggestionIds: string[] = [];
  jobId = '';
  kioskSession?: { id: string; endsAt: number };

  private adminTokenValue = '';
  private serviceUrl = '';
  private readonly lanes: Lane[] = [];
  private readonly paceMs: number;
  // chat: clientId → acked; per client, clientId → times delivered
  private readonly chatAcked = new Set<string>();
  private chatUnanswered = 0;
  /** Per client, what arrived live (no REST catch-up). */
  readonly liveChat: Map<string, number>[] = [];
  /** Each acknowledged message: its sender's index and when the ack came. */
  readonly chatLog = new Map<string, { sender: number; at: number }>();
  /** The code of every refused or unanswered `message:send` the SDK retried (TIMEOUT: no ack). */
  readonly chatRefusals: string[] = [];
  /** Every answer to a REST write of the load (0: none came), and the slowest answer in ms. */
  readonly statuses: number[] = [];
  slowestMs = 0;
  private readonly chatSeen: Map<string, number>[] = [];
  // votes: "user:suggestion" → last acked value; per client, latest view; per client, "suggestion:version" → times
  private readonly myVotes = new Map<string, 1 | -1>();
  private readonly votesAcked = new Map<number, number>();
  private votesUnanswered = 0;
  private readonly voteViews: Map<string, SuggestionVotePayload>[] = [];
  private readonly voteEvents: Map<string, number>[] = [];
  // notifications: notification id → acked; per client, id → times delivered
  private readonly notesAcked: { id: string; user: number }[] = [];
  private notesUnanswered = 0;
  private readonly notesSeen: Map<string, number>[] = [];
  // job: seq → acked; per follower (the owner's client), seq → times
  private readonly jobAcked: string[] = [];
  private jobUnanswered = 0;
  private readonly jobSeen = new Map<string, number>();
  private jobItems = 0;
  // kiosk: events with when they arrived on the workstation's client
  readonly kioskEvents: { event: string; at: number; payload: any }[] = [];
  private kioskAcked = 0;

  constructor(private readonly options: MixedLoadOptions) {
    this.paceMs = options.paceMs ?? 150;
  }

  /** Users, their conversation, suggestions, a job with its worker, the kiosk session; every client online. */
  async setup(): Promise<void> {
    const { restUrl, clientUrl } = this.options;
    const urls = Array.isArray(clientUrl) ? clientUrl : [clientUrl];
    const serviceUrl = this.options.serviceUrl ?? urls[0];
    this.serviceUrl = serviceUrl;
    const api = httpClient(restUrl);
    const count = this.options.users ?? 3;
    [this.adminTokenValue, ...this.users] = await Promise.all([
      adminToken(restUrl),
      ...Array.from({ length: count }, (_, i) => member(restUrl, `load${i}`)),
    ]);
    const [owner, ...others] = this.users;
    const conversation = await api.post('/api/v1/conversations', {
      token: owner.token,
      body: { memberIds: others.map((m) => m.id), title: 'Load' },
    });
    this.conversationId = conversation.body.id;
    for (let i = 0; i < 2; i += 1) {
      const s = await api.post('/api/v1/suggestions', {
        token: this.users[i % this.users.length].token,
        body: { title: `Load suggestion ${i}`, description: 'x' },
      });
      this.suggestionIds.push(s.body.id);
    }
    const job = await api.post('/api/v1/jobs', { token: owner.token, body: { name: 'Load job', totalPages: 10 } });
    this.jobId = job.body.id;
    const workerToken = (await api.post(`/api/v1/jobs/${this.jobId}/token`, { token: owner.token })).body.token;

    for (const [i, user] of this.users.entries()) {
      const sdk = faultClient(urls[i % urls.length], user.token);
      this.clients.push(sdk);
      this.recordRefusals(sdk);
      const chat = new Map<string, number>();
      this.chatSeen.push(chat);
      sdk.conversationMessages(this.conversationId, { afterSeq: 0 }).subscribe((m: MessagePayload) => {
        bump(chat, m.clientId ?? m.id);
      });
      // What arrived live over the socket (the stream above also fills gaps over REST).
      const live = new Map<string, number>();
      this.liveChat.push(live);
      sdk.subscribe(`conversation:${this.conversationId}`, {
        'message:new': (m) => bump(live, m.clientId ?? m.id),
      });
      const notes = new Map<string, number>();
      this.notesSeen.push(notes);
      sdk.notifications({ afterSeq: 0 }).subscribe((n: NotificationPayload) => {
        if (n.type === 'fault.load') bump(notes, n.id);
      });
      const view = new Map<string, SuggestionVotePayload>();
      this.voteViews.push(view);
      sdk.suggestionVotes().subscribe((all) => {
        for (const [id, v] of all) view.set(id, v);
      });
      const events = new Map<string, number>();
      this.voteEvents.push(events);
      sdk.subscribe('suggestions:votes', {
        'suggestion:vote': (v) => bump(events, `${v.suggestionId}:${v.version}`),
      });
      if (i === 0) {
        sdk.jobEvents(this.jobId).subscribe((e: JobEventPayload) => bump(this.jobSeen, String(e.seq)));
      }
    }
    this.admin = faultClient(serviceUrl, this.adminTokenValue);
    this.worker = faultClient(serviceUrl, workerToken);
    // Before the load, over plain HTTP with no timeout: the first request to instances just started outlasted the SDK
    // clients' timeout (3 s then) on loaded runs of the slower kind of machine, and a job event is not idempotent.
    const started = await httpClient(serviceUrl).post(`/api/v1/jobs/${this.jobId}/events`, {
      token: workerToken,
      body: { type: 'job_started', data: {} },
    });
    if (started.status !== 201) throw new Error(`job_started: ${started.status} ${JSON.stringify(started.body)}`);
    this.jobAcked.push(String((started.body as { seq: number }).seq));
    await this.waitOnline();
    if (this.options.kiosk) await this.startKiosk(this.options.kiosk);
  }

  private async startKiosk(kiosk: Kiosk): Promise<void> {
    const api = httpClient(this.options.restUrl);
    const token = this.adminTokenValue;
    const workstation = (await api.post('/api/v1/kiosk/workstations', { token, body: { name: 'Load desk' } })).body;
    const session = (
      await api.post('/api/v1/kiosk/sessions', { token, body: { durationSeconds: kiosk.durationSeconds } })
    ).body;
    const sdk = faultClient(kiosk.url ?? this.serviceUrl, workstation.token);
    this.kioskClient = sdk;
    await waitOnline([sdk]);
    await sdk.request('validate_code', { code: session.accessCode });
    this.kioskAcked += 1;
    const record = (event: string) => (payload: unknown) => this.kioskEvents.push({ event, at: Date.now(), payload });
    sdk.subscribe(`kiosk:session:${session.id}`, {
      session_started: record('session_started'),
      session_warning: record('session_warning'),
      session_terminated: record('session_terminated'),
      time_update: record('time_update'),
    });
    await sleep(100);
    const started = await sdk.request('start_session', { sessionId: session.id });
    this.kioskAcked += 1;
    this.kioskSession = { id: session.id, endsAt: Date.parse(started.session.endsAt!) };
  }

  async waitOnline(timeoutMs = 20_000): Promise<void> {
    await waitOnline([...this.clients, this.admin, this.worker], timeoutMs);
  }

  /** Starts every lane; they run until `settle()`. */
  start(): void {
    for (const [i, sdk] of this.clients.entries()) this.lane(() => this.chatOnce(sdk, i));
    this.lane(() => this.voteOnce(), 2);
    this.lane(() => this.notifyOnce(), 4);
    this.lane(() => this.jobOnce(), 2);
  }

  /**
   * Answers no fault excuses: a REST status of 500 or more other than a clean 503, a send refused with anything but
   * SERVICE_UNAVAILABLE or left without an ack (TIMEOUT: the connection went).
   */
  unexpectedAnswers(): { rest: number[]; chat: string[] } {
    return {
      rest: this.statuses.filter((status) => status >= 500 && status !== 503),
      chat: this.chatRefusals.filter((code) => code !== 'SERVICE_UNAVAILABLE' && code !== 'TIMEOUT'),
    };
  }

  /** The SDK retries a refused send without telling: its `request` is wrapped to see the codes. */
  private recordRefusals(sdk: RealtimeClient): void {
    const request = sdk.request.bind(sdk);
    sdk.request = ((event: string, payload: never) =>
      request(event as never, payload).catch((err: unknown) => {
        if (event === 'message:send') this.chatRefusals.push(err instanceof AckFailure ? err.code : String(err));
        throw err;
      })) as RealtimeClient['request'];
  }

  private lane(op: () => Promise<void>, every = 1): void {
    const lane: Lane = { running: true, done: Promise.resolve() };
    lane.done = (async () => {
      while (lane.running) {
        await op();
        await sleep(this.paceMs * every);
      }
    })();
    this.lanes.push(lane);
  }

  private async chatOnce(sdk: RealtimeClient, i: number): Promise<void> {
    const clientId = randomUUID();
    try {
      // The SDK queues and retries with the same clientId until the server answers.
      await withTimeout(sdk.messages.send(this.conversationId, `u${i} ${clientId}`, { clientId }), 45_000);
      this.chatAcked.add(clientId);
      this.chatLog.set(clientId, { sender: i, at: Date.now() });
    } catch {
      this.chatUnanswered += 1;
    }
  }

  private voteRound = 0;
  private async voteOnce(): Promise<void> {
    const round = this.voteRound++;
    const u = round % this.users.length;
    const s = Math.floor(round / this.users.length) % this.suggestionIds.length;
    await this.vote(u, s);
  }

  /** Flips user u's vote on suggestion s (PUT is idempotent: retried until answered). */
  private async vote(u: number, s: number, timeoutMs = 30_000): Promise<void> {
    const key = `${u}:${s}`;
    const value: 1 | -1 = this.myVotes.get(key) === 1 ? -1 : 1;
    try {
      await untilAnswered(
        () =>
          ok(this, () =>
            this.clients[u].rest.PUT('/api/v1/suggestions/{id}/vote', {
              params: { path: { id: this.suggestionIds[s] } },
              body: { value },
            }),
          ),
        timeoutMs,
      );
      this.myVotes.set(key, value);
      this.votesAcked.set(s, (this.votesAcked.get(s) ?? 0) + 1);
    } catch {
      this.votesUnanswered += 1;
      // Not answered: the vote may or may not be stored; the closing votes settle it.
      this.myVotes.delete(key);
    }
  }

  private noteRound = 0;
  private async notifyOnce(): Promise<void> {
    const title = `load ${this.noteRound++}`;
    try {
      const answer = await ok(this, () =>
        this.admin.rest.POST('/api/v1/notifications', {
          body: { userIds: this.users.map((m) => m.id), type: 'fault.load', title },
        }),
      );
      for (const item of (answer as { items: { id: string; userId: string }[] }).items) {
        this.notesAcked.push({ id: item.id, user: this.users.findIndex((m) => m.id === item.userId) });
      }
    } catch {
      // Not idempotent: never retried, so a refused or unanswered one is simply not promised.
      this.notesUnanswered += 1;
    }
  }

  private async jobOnce(): Promise<void> {
    try {
      const answer = await ok(this, () =>
        this.worker.rest.POST('/api/v1/jobs/{id}/events', {
          params: { path: { id: this.jobId } },
          body: { type: 'item_scraped', data: { item: { n: this.jobItems++ } } },
        }),
      );
      this.jobAcked.push(String((answer as { seq: number }).seq));
    } catch {
      this.jobUnanswered += 1;
    }
  }

  /**
   * ms from `since` (the fault, or its end) until service is back for every client: each user's client had a send
   * acknowledged after it (the SDK's queued sends wait out its retry backoff), then a probe reached every client
   * (`live`: over the socket).
   */
  async recovery(since: number, options: { live?: boolean; timeoutMs?: number } = {}): Promise<number> {
    const sent = (i: number) => [...this.chatLog.values()].some((m) => m.sender === i && m.at > since);
    await waitUntil(() => this.clients.every((_, i) => sent(i)), 'a send acknowledged on every client', 30_000);
    await this.roundTrip(options);
    return Date.now() - since;
  }

  /**
   * ms until a message sent now by the first user is delivered to every user's client (`live`: over the socket,
   * retried every second until one is; otherwise by the SDK's stream, REST catch-up included).
   */
  async roundTrip(options: { live?: boolean; timeoutMs?: number } = {}): Promise<number> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const started = Date.now();
    const deadline = started + timeoutMs;
    for (;;) {
      const clientId = randomUUID();
      await withTimeout(this.clients[0].messages.send(this.conversationId, 'probe', { clientId }), timeoutMs);
      this.chatAcked.add(clientId);
      const everywhere = () => (options.live ? this.liveChat : this.chatSeen).every((seen) => seen.has(clientId));
      const wait = options.live ? Math.min(1000, deadline - Date.now()) : deadline - Date.now();
      try {
        await waitUntil(everywhere, 'the probe everywhere', Math.max(0, wait));
        return Date.now() - started;
      } catch (err) {
        if (Date.now() >= deadline) throw err;
      }
    }
  }

  /**
   * Stops the load, closes what needs closing (a last vote on each suggestion: while Redis is down no socket
   * reconnects, so a client on the other instance learns of the votes it missed only from the next one's version
   * gap; the job's completion), waits for every client to catch up, and counts. After a reconnect the SDK refetches
   * vote counts by itself.
   */
  async settle(timeoutMs = 20_000): Promise<LoadCounts> {
    for (const lane of this.lanes) lane.running = false;
    await Promise.all(this.lanes.map((l) => l.done));
    await this.waitOnline(timeoutMs);
    // Every user votes once more on each suggestion: every vote's state is then known.
    await Promise.all(this.suggestionIds.flatMap((_, s) => this.users.map((__, u) => this.vote(u, s))));
    await untilAnswered(async () => {
      const answer = await ok(this, () =>
        this.worker.rest.POST('/api/v1/jobs/{id}/events', {
          params: { path: { id: this.jobId } },
          body: { type: 'job_completed', data: {} },
        }),
      );
      this.jobAcked.push(String((answer as { seq: number }).seq));
    });

    const api = httpClient(this.options.restUrl);
    const owner = this.users[0];
    // What is stored, then the wait until every client has it.
    const messages = await storedMessages(this.options.restUrl, owner.token, this.conversationId);
    const storedChat = new Map<string, number>();
    for (const m of messages) bump(storedChat, m.clientId ?? m.id);
    const notesOf: Map<string, number>[] = [];
    let titlesTwice = 0;
    for (const user of this.users) {
      const mine = new Map<string, number>();
      const titles = new Map<string, number>();
      const items = await pages<NotificationPayload>(api, '/api/v1/notifications', user.token);
      for (const n of items) {
        if (n.type !== 'fault.load') continue;
        bump(mine, n.id);
        bump(titles, n.title);
      }
      notesOf.push(mine);
      // One notification stored twice would have two ids and one title.
      titlesTwice += [...titles.values()].filter((c) => c > 1).length;
    }
    const events = await pages<JobEventPayload>(api, `/api/v1/jobs/${this.jobId}/events`, owner.token);
    const storedJob = new Map<string, number>();
    for (const e of events) bump(storedJob, String(e.seq));
    const suggestions = new Map<string, SuggestionVotePayload>();
    for (const id of this.suggestionIds) {
      const s = (await api.get(`/api/v1/suggestions/${id}`, { token: owner.token })).body;
      suggestions.set(id, {
        suggestionId: id,
        upvotes: s.upvotes,
        downvotes: s.downvotes,
        score: s.score,
        version: s.version,
      });
    }
    const caughtUp = () =>
      this.chatSeen.every((seen) => [...storedChat.keys()].every((key) => seen.has(key))) &&
      this.notesSeen.every((seen, i) => [...notesOf[i].keys()].every((id) => seen.has(id))) &&
      [...storedJob.keys()].every((seq) => this.jobSeen.has(seq)) &&
      this.voteViews.every((view) =>
        [...suggestions.values()].every((s) => view.get(s.suggestionId)?.version === s.version),
      ) &&
      (!this.kioskSession || this.kioskEvents.some((e) => e.event === 'session_terminated'));
    await waitUntil(caughtUp, 'every client caught up', timeoutMs).catch(() => undefined);
    // Late duplicates would show now.
    await sleep(300);

    const chat = tally([...this.chatAcked], [storedChat], this.chatSeen, this.chatUnanswered);
    // A notification has one recipient: stored in that user's list, delivered to that user's client.
    const recipientOf = new Map<string, number>();
    this.notesAcked.forEach(({ id, user }) => recipientOf.set(id, user));
    const notifications = tally(
      this.notesAcked.map((n) => n.id),
      notesOf,
      this.notesSeen,
      this.notesUnanswered,
      (id) => [recipientOf.get(id)!],
    );
    notifications.duplicated += titlesTwice;
    const job = tally(this.jobAcked, [storedJob], [this.jobSeen], this.jobUnanswered);
    const votes = this.countVotes(suggestions);
    const counts: LoadCounts = { chat, votes, notifications, job };
    if (this.kioskSession) counts.kiosk = await this.countKiosk();
    return counts;
  }

  /**
   * Votes: an answered vote sets a user's state on a suggestion. Stored: the suggestion's counts equal the users'
   * last answered votes; delivered: every client's view holds the stored version. Duplicated: a vote counted twice
   * (more votes than voters), or one version's event twice on one client.
   */
  private countVotes(suggestions: Map<string, SuggestionVotePayload>): KindCounts {
    const counts: KindCounts = {
      acknowledged: 0,
      stored: 0,
      delivered: 0,
      lost: 0,
      duplicated: 0,
      notAcknowledged: this.votesUnanswered,
    };
    for (const [s, id] of this.suggestionIds.entries()) {
      const acked = this.votesAcked.get(s) ?? 0;
      const server = suggestions.get(id)!;
      const mine = [...this.myVotes].filter(([key]) => key.endsWith(`:${s}`)).map(([, v]) => v);
      const isStored =
        server.upvotes === mine.filter((v) => v === 1).length &&
        server.downvotes === mine.filter((v) => v === -1).length;
      const isDelivered = this.voteViews.every((view) => view.get(id)?.version === server.version);
      counts.acknowledged += acked;
      if (isStored) counts.stored += acked;
      if (isStored && isDelivered) counts.delivered += acked;
      else counts.lost += acked;
      if (server.upvotes + server.downvotes > this.users.length) counts.duplicated += 1;
    }
    for (const events of this.voteEvents) for (const count of events.values()) if (count > 1) counts.duplicated += 1;
    return counts;
  }

  /** Kiosk: the due events (started, a warning per threshold, terminated) once each on the workstation's client. */
  private async countKiosk(): Promise<KioskCounts> {
    const kiosk = this.options.kiosk!;
    const session = this.kioskSession!;
    const expected = [
      'session_started',
      ...kiosk.warningSeconds.map((t) => `session_warning:${t}`),
      'session_terminated',
    ];
    const seen = new Map<string, number>();
    const ticks = new Map<string, number>();
    for (const e of this.kioskEvents) {
      if (e.event === 'time_update') bump(ticks, String(e.payload.remainingSeconds));
      else if (e.event === 'session_warning')
        bump(seen, `session_warning:${nearest(kiosk.warningSeconds, e.payload.remainingSeconds)}`);
      else bump(seen, e.event);
    }
    const row = (
      await httpClient(this.options.restUrl).get(`/api/v1/kiosk/sessions/${session.id}`, {
        token: this.adminTokenValue,
      })
    ).body;
    const ended = row.status === 'ended' && row.endReason === 'expired';
    const terminated = this.kioskEvents.find((e) => e.event === 'session_terminated');
    const delivered = expected.filter((k) => seen.get(k) === 1).length;
    let duplicated = [...seen.values()].filter((c) => c > 1).length;
    // A tick is a moment: the same remaining time twice would be one moment emitted twice.
    duplicated += [...ticks.values()].filter((c) => c > 1).length;
    return {
      acknowledged: this.kioskAcked,
      due: expected.length,
      delivered,
      lost: expected.length - expected.filter((k) => (seen.get(k) ?? 0) > 0).length + (ended ? 0 : 1),
      duplicated,
      ticks: [...ticks.values()].reduce((a, b) => a + b, 0),
      endedOffByMs: terminated ? terminated.at - session.endsAt : Number.NaN,
    };
  }

  close(): void {
    for (const lane of this.lanes) lane.running = false;
    for (const sdk of [...this.clients, this.admin, this.worker, this.kioskClient]) sdk?.close();
  }
}

function nearest(thresholds: number[], remaining: number): number {
  return thresholds.reduce((best, t) => (Math.abs(t - remaining) < Math.abs(best - remaining) ? t : best));
}

async function waitOnline(clients: RealtimeClient[], timeoutMs = 20_000): Promise<void> {
  await waitUntil(() => clients.every((c) => c.state === 'online'), 'every client online', timeoutMs);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new AckFailure({ code: 'TIMEOUT', message: `No answer in ${ms} ms` })), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Every kind's lost and duplicated, for one assertion that names what failed. */
/**
 * Settles the load (every client resynced) and checks that the fault lost nothing: of every kind, nothing
 * acknowledged lost, nothing stored or delivered twice, something acknowledged; and every answer a true one (REST
 * never 5xx but a clean 503, a refused send never INTERNAL). Answers the counts.
 */
export async function settledWithoutLoss(load: MixedLoad): Promise<LoadCounts> {
  const counts = await load.settle();
  expect(lossesOf(counts)).toEqual(noLosses(counts));
  for (const kind of Object.values(counts)) expect(kind!.acknowledged).toBeGreaterThan(0);
  expect(load.unexpectedAnswers()).toEqual({ rest: [], chat: [] });
  return counts;
}

export function lossesOf(counts: LoadCounts): Record<string, { lost: number; duplicated: number }> {
  const out: Record<string, { lost: number; duplicated: number }> = {};
  for (const [kind, c] of Object.entries(counts)) if (c) out[kind] = { lost: c.lost, duplicated: c.duplicated };
  return out;
}

/** The same figures with zero loss, to compare against. */
export function noLosses(counts: LoadCounts): Record<string, { lost: number; duplicated: number }> {
  const out: Record<string, { lost: number; duplicated: number }> = {};
  for (const [kind, c] of Object.entries(counts)) if (c) out[kind] = { lost: 0, duplicated: 0 };
  return out;
}

/** Prints the figures (FAULTS_REPORT=1): one JSON line per scenario, with what the fault made refuse. */
export function report(
  scenario: string,
  load: MixedLoad,
  counts: LoadCounts,
  extra: Record<string, unknown> = {},
): void {
  if (!process.env.FAULTS_REPORT) return;
  const refusals = {
    rest503: load.statuses.filter((status) => status === 503).length,
    restNoAnswer: load.statuses.filter((status) => status === 0).length,
    chatRetried: load.chatRefusals.length,
  };
  process.stdout.write(`FAULTS ${JSON.stringify({ scenario, ...counts, refusals, ...extra })}\n`);
}
