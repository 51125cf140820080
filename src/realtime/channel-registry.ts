// Channel patterns and who may join them. Modules register theirs at start; the core gateway resolves names.
import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { UUID_PATTERN } from '../common/uuid-param.js';
import type { StreamOrder } from './reorder-buffer.js';
import { isServerOwnedRoom } from './principal-rooms.js';

export type ChannelParams = Record<string, string>;

/**
 * A snapshot that holds an ordered stream up to a seq (a job's state counts its events): its subscriber is sent the
 * stream's events after that seq only, so that none is counted twice (`holdBackUpTo`). The subscriber gets `value`.
 */
export class StreamSnapshot {
  constructor(
    readonly value: unknown,
    readonly position: StreamOrder,
  ) {}
}

export interface ChannelDefinition {
  /** Literal segments and `{name}` placeholders (UUIDs), e.g. `resource:updates:{id}` or `dashboard`. */
  pattern: string;
  /**
   * Throws FORBIDDEN / NOT_FOUND when the principal may not be in the channel. Reads only what the rule needs: it
   * runs before every join and for every subscriber a withdrawn permission re-checks.
   */
  authorize(principal: Principal, params: ChannelParams): Promise<void>;
  /**
   * For a channel with state: what a new subscriber starts from, read once it has joined (a `StreamSnapshot` when it
   * holds the channel's ordered stream up to a seq). It applies the channel's rule again itself, throwing as
   * `authorize` does (on the same read where the state holds what the rule needs).
   */
  snapshot?(principal: Principal, params: ChannelParams): Promise<unknown>;
}

interface CompiledChannel {
  definition: ChannelDefinition;
  /** Literal text before the first placeholder; names with this prefix belong to this pattern. */
  prefix: string;
  names: string[];
  regex: RegExp;
  literal: boolean;
}

export interface ResolvedChannel {
  name: string;
  definition: ChannelDefinition;
  params: ChannelParams;
}

const MAX_CHANNEL_LENGTH = 200;

@Injectable()
export class ChannelRegistry {
  private readonly channels: CompiledChannel[] = [];

  register(definition: ChannelDefinition): void {
    if (this.channels.some((c) => c.definition.pattern === definition.pattern)) {
      throw new Error(`Channel pattern registered twice: ${definition.pattern}`);
    }
    const names: string[] = [];
    const source = definition.pattern
      .split(/(\{[a-zA-Z]+\})/)
      .map((part) => {
        const placeholder = /^\{([a-zA-Z]+)\}$/.exec(part);
        if (placeholder) {
          names.push(placeholder[1]);
          return '([^:]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    const prefix = definition.pattern.split('{')[0];
    this.channels.push({ definition, prefix, names, regex: new RegExp(`^${source}$`), literal: names.length === 0 });
    // Longest prefix first, so `kiosk:session:{id}` wins over `kiosk:sessions` lookalikes.
    this.channels.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /**
   * Resolves a channel name: UNKNOWN_CHANNEL when no pattern claims it, VALIDATION_FAILED when a pattern
   * claims it but its parameters are malformed.
   */
  resolve(name: unknown): ResolvedChannel {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_CHANNEL_LENGTH) {
      throw DomainException.validation('channel: must be a non-empty string', [
        { field: 'channel', errors: ['channel must be a non-empty string of at most 200 characters'] },
      ]);
    }
    // A principal's own room is the server's handle on its sockets: no client joins or leaves it.
    if (isServerOwnedRoom(name)) throw DomainException.forbidden('This room belongs to the server');
    for (const channel of this.channels) {
      if (channel.literal) {
        if (name === channel.definition.pattern) return { name, definition: channel.definition, params: {} };
        continue;
      }
      if (!name.startsWith(channel.prefix)) continue;
      const match = channel.regex.exec(name);
      const values = match?.slice(1) ?? [];
      if (!match || values.some((v) => !UUID_PATTERN.test(v))) {
        throw DomainException.validation(`channel: malformed ${channel.definition.pattern}`, [
          { field: 'channel', errors: [`channel must look like ${channel.definition.pattern} with UUIDs`] },
        ]);
      }
      const params: ChannelParams = {};
      channel.names.forEach((key, i) => (params[key] = values[i].toLowerCase()));
      return {
        name: `${channel.prefix}${name.slice(channel.prefix.length).toLowerCase()}`,
        definition: channel.definition,
        params,
      };
    }
    throw new DomainException(ErrorCode.UNKNOWN_CHANNEL, `Unknown channel: ${name}`);
  }

  /** Whether the principal may (still) be in the channel; refusals of any kind answer false. */
  async mayJoin(principal: Principal, resolved: ResolvedChannel): Promise<boolean> {
    try {
      await resolved.definition.authorize(principal, resolved.params);
      return true;
    } catch {
      return false;
    }
  }
}
