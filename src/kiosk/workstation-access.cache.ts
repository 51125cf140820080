// Whether a kiosk token (subject = a workstation) may act: the workstation exists and the token carries its
// current token version. Asked on every request and socket event of a kiosk, so it is cached per instance; a
// rotation is announced on the cluster bus so that every instance drops its copy at once.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PrincipalRegistry } from '../auth/principal.registry.js';
import { UUID_PATTERN } from '../common/uuid-param.js';
import { ClusterBus } from '../redis/cluster-bus.js';

const TOPIC = 'kiosk:workstation-token';
// A safety net for a lost bus message only.
const MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  tokenVersion: number;
  loadedAt: number;
}

@Injectable()
export class WorkstationAccessCache implements OnModuleInit {
  private readonly entries = new Map<string, Entry>();
  /** Grows with every invalidation, so that a read in flight across one is not cached. */
  private epoch = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: ClusterBus,
    private readonly principals: PrincipalRegistry,
  ) {}

  onModuleInit(): void {
    this.bus.on(TOPIC, (payload) => {
      this.epoch += 1;
      this.entries.delete((payload as { workstationId: string }).workstationId);
    });
    this.principals.register(['kiosk'], (id, tokenVersion) => this.isCurrent(id, tokenVersion));
  }

  async isCurrent(workstationId: string, tokenVersion: number): Promise<boolean> {
    if (!UUID_PATTERN.test(workstationId)) return false;
    let entry = this.entries.get(workstationId);
    // A token newer than our copy means the copy is behind.
    if (!entry || Date.now() - entry.loadedAt > MAX_AGE_MS || tokenVersion > entry.tokenVersion) {
      entry = await this.load(workstationId);
    }
    return entry !== undefined && entry.tokenVersion === tokenVersion;
  }

  /** Drops the cached token version on every instance (call after committing a rotation). */
  async invalidate(workstationId: string): Promise<void> {
    await this.bus.publish(TOPIC, { workstationId });
  }

  private async load(workstationId: string): Promise<Entry | undefined> {
    const epoch = this.epoch;
    const rows: { token_version: number }[] = await this.dataSource.query(
      `SELECT token_version FROM workstations WHERE id = $1`,
      [workstationId],
    );
    if (rows.length === 0) {
      this.entries.delete(workstationId);
      return undefined;
    }
    if (!this.entries.has(workstationId) && this.entries.size >= MAX_ENTRIES) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    const entry = { tokenVersion: rows[0].token_version, loadedAt: Date.now() };
    if (epoch === this.epoch) this.entries.set(workstationId, entry);
    return entry;
  }
}
