// Typed, validated configuration. Built once from the environment; nothing else reads process.env.
import { resolve } from 'node:path';
import { parseTrustProxy, type TrustProxy, validateEnvironment } from './environment.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Parses `3600`, `90s`, `15m`, `1h`, `7d` into seconds. */
export function durationToSeconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (!match) throw new Error(`Not a duration: ${value}`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

export class AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly trustProxy: TrustProxy;
  readonly limits: {
    registrationsPerHour: number;
    conversationMembers: number;
    jobEvents: number;
    socketsPerPrincipal: number;
    channelsPerSocket: number;
  };
  readonly corsOrigins: '*' | string[];
  readonly logLevel: LogLevel;
  readonly dataDir: string;
  readonly database: { url?: string; poolSize: number; preparedStatements: boolean; pipelining: boolean };
  readonly redis: { url?: string; prefix: string; adapter: 'classic' | 'sharded' };
  readonly jwt: { secret?: string; expiresInSeconds: number; sessionMaxAgeSeconds: number };
  readonly admin: { email?: string; password?: string };
  /** argon2id cost of new password hashes. */
  readonly passwordHash: { memoryKib: number; passes: number };
  readonly ws: { rateLimit: number; rateBurst: number };
  readonly presence: { graceMs: number; ttlSeconds: number };
  readonly typingTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly dashboard: { intervalMs: number; heartbeatSeconds: number };
  readonly kiosk: { tickSeconds: number; warningSeconds: number[]; offlineSeconds: number; minDurationSeconds: number };
  readonly jobs: { stallSeconds: number };

  constructor(raw: Record<string, string | undefined>) {
    const env = validateEnvironment(raw);
    this.nodeEnv = env.NODE_ENV as AppConfig['nodeEnv'];
    this.port = env.PORT;
    this.host = env.HOST;
    this.trustProxy = parseTrustProxy(env.TRUST_PROXY) ?? false;
    this.limits = {
      registrationsPerHour: env.REGISTER_RATE_LIMIT,
      conversationMembers: env.MESSAGING_MAX_MEMBERS,
      jobEvents: env.JOB_MAX_EVENTS,
      socketsPerPrincipal: env.WS_MAX_SOCKETS_PER_USER,
      channelsPerSocket: env.WS_MAX_CHANNELS_PER_SOCKET,
    };
    const origins = env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    this.corsOrigins = origins.length === 0 || origins.includes('*') ? '*' : origins;
    this.logLevel = env.LOG_LEVEL as LogLevel;
    this.dataDir = resolve(env.DATA_DIR);
    this.database = {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
      pipelining: env.DATABASE_PIPELINING,
    };
    this.redis = { url: env.REDIS_URL, prefix: env.REDIS_PREFIX, adapter: env.REDIS_ADAPTER };
    this.jwt = {
      secret: env.JWT_SECRET,
      expiresInSeconds: durationToSeconds(env.JWT_EXPIRES_IN),
      sessionMaxAgeSeconds: durationToSeconds(env.JWT_SESSION_MAX_AGE),
    };
    this.admin = { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD };
    this.passwordHash = { memoryKib: env.PASSWORD_HASH_MEMORY_KIB, passes: env.PASSWORD_HASH_PASSES };
    this.ws = { rateLimit: env.WS_RATE_LIMIT, rateBurst: env.WS_RATE_LIMIT * 2 };
    this.presence = { graceMs: env.PRESENCE_GRACE_MS, ttlSeconds: env.PRESENCE_TTL_SECONDS };
    this.typingTimeoutMs = env.TYPING_TIMEOUT_MS;
    this.shutdownGraceMs = env.SHUTDOWN_GRACE_MS;
    this.dashboard = { intervalMs: env.DASHBOARD_INTERVAL_MS, heartbeatSeconds: env.DASHBOARD_HEARTBEAT_SECONDS };
    this.kiosk = {
      tickSeconds: env.KIOSK_TICK_SECONDS,
      warningSeconds: [...new Set(env.KIOSK_WARNING_SECONDS.split(',').map(Number))].sort((a, b) => b - a),
      offlineSeconds: env.KIOSK_OFFLINE_SECONDS,
      minDurationSeconds: env.KIOSK_MIN_DURATION_SECONDS,
    };
    this.jobs = { stallSeconds: env.JOB_STALL_SECONDS };
  }

  /** The configuration of this process, from its environment. */
  static fromProcessEnv(overrides: Record<string, string | undefined> = {}): AppConfig {
    return new AppConfig({ ...process.env, ...overrides });
  }

  get embedded(): boolean {
    return !this.database.url;
  }
}
