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
  validateSync,
} from 'class-validator';

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

/** Durations as `3600`, `90s`, `15m`, `1h`, `7d` (the forms `JWT_EXPIRES_IN` accepts). */
export const DURATION_PATTERN = /^\d+[smhd]?$/;

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

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// URL' })
  REDIS_URL?: string;

  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1..64 of A-Z a-z 0-9 _ . : -' })
  REDIS_PREFIX = 'rthub';

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

  /** Comma-separated origins, or `*` for any. */
  @IsString()
  CORS_ORIGINS = '*';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY = false;

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
  }
  return env;
}
