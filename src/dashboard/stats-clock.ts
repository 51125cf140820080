// The dashboard's shared period: every change bumps a version, and an instance claims the right to publish
// (`StatsCoalescer`'s rule). With Redis the state and the rule live in Redis (one script, Redis's clock), so that
// admins get one update per period whichever instance saw the change; without Redis, in this process. While this
// instance is cut off from the others (its adapter connections down), what it publishes reaches only its own admins:
// it keeps their updates going on its own clock, as an instance alone would, and Redis learns of no change meanwhile.
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ChannelService } from '../realtime/channel.service.js';
import { redisScript, RedisService } from '../redis/redis.service.js';
import { type ClaimDecision, type CoalescerTiming, StatsCoalescer } from './stats-coalescer.js';

// KEYS[1]: the clock hash. ARGV: intervalMs, heartbeatMs, wantHeartbeat (1/0).
// Answers -1 (claimed), -2 (nothing to publish), or the milliseconds to wait.
const CLAIM = redisScript(
  'dashboardStatsClaim',
  1,
  `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'version', 'published_version', 'published_at')
local version = tonumber(state[1] or '0')
local published = tonumber(state[2] or '0')
local since = math.huge
if state[3] then since = now - tonumber(state[3]) end
local interval = tonumber(ARGV[1])
if version > published then
  if since >= interval then
    redis.call('HSET', KEYS[1], 'published_version', version, 'published_at', now)
    return -1
  end
  return interval - since
end
if ARGV[3] ~= '1' then return -2 end
local wait = math.max(interval, tonumber(ARGV[2]))
if since >= wait then
  redis.call('HSET', KEYS[1], 'published_at', now)
  return -1
end
return wait - since`,
);

@Injectable()
export class StatsClock {
  private readonly timing: CoalescerTiming;
  private readonly local: StatsCoalescer;
  private readonly key: string;

  constructor(
    config: AppConfig,
    private readonly redis: RedisService,
    private readonly rooms: ChannelService,
  ) {
    this.timing = { intervalMs: config.dashboard.intervalMs, heartbeatMs: config.dashboard.heartbeatSeconds * 1000 };
    this.local = new StatsCoalescer(this.timing);
    this.key = redis.key('dashboard', 'stats-clock');
  }

  /** Records a change (resolve it before claiming, so that the claim sees it). */
  async changed(): Promise<void> {
    // The local clock hears of every change, to take over at once if this instance is cut off.
    this.local.changed();
    if (this.shared) await this.redis.client.hincrby(this.key, 'version', 1);
  }

  async claim(wantHeartbeat: boolean): Promise<ClaimDecision> {
    if (!this.shared) return this.local.claim(Date.now(), wantHeartbeat);
    const answer = Number(
      await this.redis.runScript(
        CLAIM,
        [this.key],
        [this.timing.intervalMs, this.timing.heartbeatMs, wantHeartbeat ? 1 : 0],
      ),
    );
    if (answer === -1) return { claim: true };
    return { claim: false, retryInMs: answer === -2 ? null : Math.max(0, answer) };
  }

  /** Whether the period is the deployment's (in Redis) rather than this process's. */
  private get shared(): boolean {
    return this.redis.enabled && this.rooms.reachesOtherInstances;
  }
}
