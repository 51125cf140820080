// What a token's subject (an account, a workstation, a job) must be for its tokens to work, read on every request
// and socket event. Each owner of a token role keeps one of these per instance: filled from the database on a miss,
// trusted for a while, and changed on every instance at once through a cluster-bus topic when the subject changes.
import type { OnModuleInit } from '@nestjs/common';
import { UUID_PATTERN } from '../common/uuid-param.js';
import type { ClusterBus } from '../redis/cluster-bus.js';
import type { PrincipalRegistry } from './principal.registry.js';
import type { Role } from './user.entity.js';

/** The least a cached subject carries: the token version its tokens must show. */
export interface SubjectState {
  tokenVersion: number;
}

export interface SubjectStateSource<T extends SubjectState> {
  /** The cluster-bus topic that announces a change, and the payload field that names the subject. */
  topic: string;
  idField: string;
  maxEntries: number;
  /** Reads the subject; undefined when it does not exist. */
  load(id: string): Promise<T | undefined>;
  /** How long a loaded state may be trusted without an announcement (a safety net for a lost message). */
  maxAgeMs(state: T): number;
  /**
   * What an announcement leaves in the cache: undefined drops the entry (the next read loads it again); a state
   * replaces it and is final, winning over a read that was in flight (a job that ended stays ended).
   */
  afterChange?(previous: T | undefined): T | undefined;
}

interface Entry<T> {
  state: T;
  loadedAt: number;
  /** Set by an announcement: no read may replace it. */
  final: boolean;
}

export class SubjectStateCache<T extends SubjectState> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Grows with every announcement, so that a read in flight across one is not cached. */
  private epoch = 0;

  constructor(
    private readonly bus: ClusterBus,
    private readonly source: SubjectStateSource<T>,
  ) {}

  /** Starts listening for announcements (from the owner's onModuleInit). */
  listen(): void {
    this.bus.on(this.source.topic, (payload) => {
      const id = (payload as Record<string, unknown>)[this.source.idField];
      if (typeof id === 'string') this.changed(id);
    });
    // The announcements made while this instance's bus was cut from Redis never came (a logout on another instance):
    // every state read before its link came back is read again, and a read in flight across it is not kept. A final
    // state stays, being what an announcement said.
    this.bus.onResubscribed(() => {
      this.epoch += 1;
      for (const [id, entry] of this.entries) if (!entry.final) this.entries.delete(id);
    });
  }

  /**
   * The subject's state for a token of this version: cached while fresh, else read again; a token newer than the
   * cached state means the cache is behind. Undefined when the subject does not exist.
   */
  async get(id: string, tokenVersion: number): Promise<T | undefined> {
    if (!UUID_PATTERN.test(id)) return undefined;
    const entry = this.entries.get(id);
    if (entry && (entry.final || this.fresh(entry, tokenVersion))) return entry.state;
    return this.load(id);
  }

  /** Announces a change on every instance, this one included; resolves once they all have it (after the commit). */
  async announce(id: string): Promise<void> {
    await this.bus.publish(this.source.topic, { [this.source.idField]: id });
  }

  private fresh(entry: Entry<T>, tokenVersion: number): boolean {
    return Date.now() - entry.loadedAt <= this.source.maxAgeMs(entry.state) && tokenVersion <= entry.state.tokenVersion;
  }

  private changed(id: string): void {
    this.epoch += 1;
    const next = this.source.afterChange?.(this.entries.get(id)?.state);
    if (next === undefined) this.entries.delete(id);
    else this.remember(id, { state: next, loadedAt: Date.now(), final: true });
  }

  private async load(id: string): Promise<T | undefined> {
    const epoch = this.epoch;
    const state = await this.source.load(id);
    if (epoch !== this.epoch) {
      // An announcement crossed this read: a final state it left wins; otherwise answer the read, uncached.
      const known = this.entries.get(id);
      return known?.final ? known.state : state;
    }
    if (state === undefined) this.entries.delete(id);
    else this.remember(id, { state, loadedAt: Date.now(), final: false });
    return state;
  }

  private remember(id: string, entry: Entry<T>): void {
    if (!this.entries.has(id) && this.entries.size >= this.source.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(id, entry);
  }
}

/**
 * The owner of a token role (accounts, workstations, jobs): registers its subjects' check with the principal
 * registry and keeps their state in a SubjectStateCache. A token works while its subject exists, its version is
 * the subject's, and `accepts` says yes to the rest of the state (not disabled, still running...).
 */
export abstract class TokenSubjectCache<T extends SubjectState> implements OnModuleInit {
  private readonly cache: SubjectStateCache<T>;

  protected constructor(
    bus: ClusterBus,
    private readonly principals: PrincipalRegistry,
    private readonly roles: Role[],
    source: SubjectStateSource<T>,
  ) {
    this.cache = new SubjectStateCache(bus, source);
  }

  onModuleInit(): void {
    this.cache.listen();
    this.principals.register(this.roles, (id, tokenVersion, role) => this.isCurrent(id, tokenVersion, role));
  }

  async isCurrent(id: string, tokenVersion: number, role: Role): Promise<boolean> {
    const state = await this.cache.get(id, tokenVersion);
    return state !== undefined && state.tokenVersion === tokenVersion && this.accepts(state, role);
  }

  /** Tells every instance that the subject changed, resolving once they all know (call after the commit). */
  async invalidate(id: string): Promise<void> {
    await this.cache.announce(id);
  }

  /** What the state must say besides the token version for a token of this role to work. */
  protected accepts(_state: T, _role: Role): boolean {
    return true;
  }
}
