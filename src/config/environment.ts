// The environment schema: every variable the server reads, validated once at start.
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  validateSync,
} from 'class-validator';
import { isIP } from 'node:net';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return value;
};
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** The proxies to trust: none, the nearest N hops, or these addresses/CIDRs (proxy-addr's names too). */
export type TrustProxy = false | number | string[];

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (version === 4 ? 32 : 128);
}

/**
 * `false` (or `0`, `no`, `off`, empty): X-Forwarded-For is never read. `1`..`10`: that many proxies in front, so the
 * client is that many entries from the right. A comma-separated list of addresses/CIDRs: the client is the
 * right-most address not in it. Answers undefined for anything else (`true` included: trusting every hop would
 * take the client's own left-most entry).
 */
export function parseTrustProxy(value: string): TrustProxy | undefined {
  const v = value.trim().toLowerCase();
  if (['', '0', 'false', 'no', 'off'].includes(v)) return false;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return hops >= 1 && hops <= 10 ? hops : undefined;
  }
  const entries = v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  return entries.length > 0 && entries.every(isProxyAddress) ? entries : undefined;
}

@ValidatorConstraint({ name: 'trustProxy' })
class TrustProxyRule implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && parseTrustProxy(value) !== undefined;
  }
  defaultMessage(): string {
    return 'must be false, a hop count (1..10) or a comma-separated list of proxy addresses/CIDRs';
  }
}

/** Durations as `3600`, `90s`, `15m`, `1h`, `7d` (the forms `JWT_EXPIRES_IN` accepts). */
export const DURATION_PATTERN = /^\d+[smhd]?$/;

/**
 * OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): the default cost of a new password hash (so a burst of
 * registrations or logins does not hold hundreds of megabytes), and in production the least memory × passes allowed
 * (OWASP's other configurations trade one for the other).
 */
export const OWASP_PASSWORD_COST: Readonly<{ memoryKib: number; passes: number }> = { memoryKib: 19_456, passes: 2 };

export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /** Hot statements run as named prepared statements (planned once per connection). Off behind a pooler that cannot keep them. */
  @Transform(toBool)
  @IsBoolean()
  DATABASE_PREPARED_STATEMENTS = true;

  /** A transaction's BEGIN goes out with its first statements (pg's pipeline mode). Off behind a pooler that refuses it. */
  @Transform(toBool)
  @IsBoolean()
  DATABASE_PIPELINING = true;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// URL' })
  REDIS_URL?: string;

  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1..64 of A-Z a-z 0-9 _ . : -' })
  REDIS_PREFIX = 'rthub';

  /**
   * How instances reach each other: `classic` Pub/Sub (every instance hears every broadcast), or `sharded` Pub/Sub
   * (Redis 7+; one channel per room, so an instance hears only the rooms its sockets are in).
   */
  @IsIn(['classic', 'sharded'])
  REDIS_ADAPTER: 'classic' | 'sharded' = 'classic';

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16)
  JWT_SECRET?: string;

  @Matches(DURATION_PATTERN, { message: 'must be a duration such as 3600, 90s, 15m, 1h or 7d' })
  JWT_EXPIRES_IN = '1h';

  /** How long after a login its chain of refreshes may go on; then a new login is needed. */
  @Matches(DURATION_PATTERN, { message: 'must be a duration such as 3600, 90s, 15m, 1h or 7d' })
  JWT_SESSION_MAX_AGE = '30d';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  ADMIN_PASSWORD?: string;

  /** argon2id memory per new password hash (KiB); with the passes, at least OWASP's baseline in production. */
  @Transform(toInt)
  @IsInt()
  @Min(64)
  @Max(4_194_304)
  PASSWORD_HASH_MEMORY_KIB = OWASP_PASSWORD_COST.memoryKib;

  /** argon2id passes per new password hash. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  PASSWORD_HASH_PASSES = OWASP_PASSWORD_COST.passes;

  /** Comma-separated origins, or `*` for any. */
  @IsString()
  CORS_ORIGINS = '*';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** `false`, a hop count (1..10) or a comma-separated list of proxy addresses/CIDRs (see parseTrustProxy). */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @Validate(TrustProxyRule)
  TRUST_PROXY = 'false';

  /** Registrations per client IP per hour. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  REGISTER_RATE_LIMIT = 20;

  /** Members of one conversation at most. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(100_000)
  MESSAGING_MAX_MEMBERS = 500;

  /** Events of one job at most. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(100_000_000)
  JOB_MAX_EVENTS = 100_000;

  /** Sockets of one account, workstation or worker at once, across instances. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  WS_MAX_SOCKETS_PER_USER = 20;

  /** Channels one socket may be in at once (its own identity room included); the next subscribe gets LIMIT_EXCEEDED. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  WS_MAX_CHANNELS_PER_SOCKET = 1000;

  /** Sustained events per second per socket; bursts may reach twice this. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  WS_RATE_LIMIT = 50;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600000)
  PRESENCE_GRACE_MS = 3000;

  /** On SIGTERM, how long requests and socket events in flight may take to finish before sockets are closed. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600000)
  SHUTDOWN_GRACE_MS = 10000;

  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(3600)
  PRESENCE_TTL_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600000)
  TYPING_TIMEOUT_MS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600000)
  DASHBOARD_INTERVAL_MS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  DASHBOARD_HEARTBEAT_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  KIOSK_TICK_SECONDS = 60;

  @Matches(/^\d+(,\d+)*$/, { message: 'must be a comma-separated list of seconds, such as 300,60' })
  KIOSK_WARNING_SECONDS = '300,60';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  KIOSK_OFFLINE_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  KIOSK_MIN_DURATION_SECONDS = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(604800)
  JOB_STALL_SECONDS = 300;
}

export class ConfigValidationError extends Error {}

/** Validates a raw environment; throws one line naming the first bad variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const known = Object.keys(new EnvironmentVariables());
  const input: Record<string, unknown> = {};
  for (const key of [...known, 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'ADMIN_EMAIL', 'ADMIN_PASSWORD']) {
    if (raw[key] !== undefined) input[key] = raw[key];
  }
  const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const first = errors[0];
    const reason = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
    // Secrets, passwords and URLs (which may carry credentials) are never echoed.
    const shown = /SECRET|PASSWORD|_URL$/.test(first.property) ? '' : ` (got "${String(raw[first.property])}")`;
    throw new ConfigValidationError(
      `Invalid configuration: ${first.property} ${reason.replace(`${first.property} `, '')}${shown}`,
    );
  }
  if (env.NODE_ENV === 'production') {
    if (!env.JWT_SECRET || env.JWT_SECRET.length < 32) {
      throw new ConfigValidationError(
        'Invalid configuration: JWT_SECRET must be set to at least 32 characters when NODE_ENV=production',
      );
    }
    if (!env.DATABASE_URL) {
      throw new ConfigValidationError('Invalid configuration: DATABASE_URL must be set when NODE_ENV=production');
    }
    // OWASP's configurations trade memory for passes (46 MiB × 1, 19 MiB × 2, ...); none is below this product.
    if (
      env.PASSWORD_HASH_MEMORY_KIB * env.PASSWORD_HASH_PASSES <
      OWASP_PASSWORD_COST.memoryKib * OWASP_PASSWORD_COST.passes
    ) {
      throw new ConfigValidationError(
        'Invalid configuration: PASSWORD_HASH_MEMORY_KIB × PASSWORD_HASH_PASSES must be at least 38912 (19 MiB × 2) when NODE_ENV=production',
      );
    }
  }
  return env;
}
