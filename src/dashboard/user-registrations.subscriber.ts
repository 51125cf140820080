// Registrations move `users.total` and `users.newThisMonth`. Rather than reaching into the auth module, the
// dashboard listens to inserts of User entities and signals the change once the transaction has committed (so
// the count read next includes the new user).
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { EntitySubscriberInterface, InsertEvent, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { DataSource } from 'typeorm';
import { User } from '../auth/user.entity.js';
import { DashboardEvents } from './dashboard-events.js';

const PENDING = 'dashboard:userInserted';

@Injectable()
export class UserRegistrationsSubscriber implements EntitySubscriberInterface<User>, OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: DashboardEvents,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this);
  }

  listenTo(): typeof User {
    return User;
  }

  afterInsert(event: InsertEvent<User>): void {
    if (event.queryRunner.isTransactionActive) (event.queryRunner.data as Record<string, unknown>)[PENDING] = true;
    else this.events.changed();
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const data = event.queryRunner.data as Record<string, unknown>;
    // Only the outermost commit makes the row visible to others.
    if (!data[PENDING] || event.queryRunner.isTransactionActive) return;
    delete data[PENDING];
    this.events.changed();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) delete (event.queryRunner.data as Record<string, unknown>)[PENDING];
  }
}
