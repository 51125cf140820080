// One transaction and the events it makes: work runs in a transaction and queues what to publish; the queue runs,
// in order, once the transaction has committed, and is dropped when it rolls back. So no event announces a write
// that did not happen, and no caller hands a publish() callback back to its own caller.
//
// On Postgres the transaction's BEGIN is pipelined: it goes out with the work's first statements instead of waiting
// for its own answer, so a transaction whose first statements are sent together (a vote's lock and write) costs one
// round trip less per pipelined statement. The order on the wire is the order of the calls, and Postgres runs them
// one after the other, so nothing changes but the waiting. For the same reason a work that knows which statement is
// its last may have COMMIT sent right behind it (commitBehindNextStatement), rather than after its answer: Postgres
// commits only if every statement before the COMMIT succeeded, and answers ROLLBACK otherwise.
import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Socket } from 'node:net';
import type { PoolClient, QueryResult } from 'pg';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { AppConfig } from '../config/app-config.js';

/** A transaction in progress: its manager (use it for every query inside), and the after-commit queue. */
export interface Transaction {
  readonly manager: EntityManager;
  /**
   * Runs `effect` after the commit (events, cache notices), never after a rollback. Effects run in the order they
   * were queued; one that answers a promise (an eviction the next effect depends on) is awaited before the next,
   * and `run` answers once every effect has run.
   */
  afterCommit(effect: (() => void) | (() => Promise<void>)): void;
  /**
   * Declares that the next statement sent through SqlRunner in this transaction is the work's last: on pipelined
   * Postgres, COMMIT leaves right behind it instead of after its answer (one round trip less); elsewhere nothing
   * changes. Nothing may be sent after that statement. What the work does with its answer must not fail: the
   * transaction commits whenever every statement succeeded. If it fails all the same, `run` runs the effects
   * queued so far (the writes are committed, so they are announced) and then throws that error.
   */
  commitBehindNextStatement(): void;
}

type Effect = (() => void) | (() => Promise<void>);

/** Sends a statement (`send`) and the transaction's COMMIT behind it, in one write; answers what `send` answered. */
type SendWithCommit = <R>(send: () => R) => R;

/** Transactions whose COMMIT is to leave behind their next statement, by query runner. */
const commitBehind = new WeakMap<QueryRunner, SendWithCommit>();

/**
 * For SqlRunner, which sends each statement through this: sends it, and right behind it the transaction's COMMIT
 * when the work declared it its last (commitBehindNextStatement).
 */
export function sendStatement<R>(runner: QueryRunner, send: () => R): R {
  const withCommit = commitBehind.get(runner);
  if (!withCommit) return send();
  commitBehind.delete(runner);
  return withCommit(send);
}

/** The work failed after its COMMIT went out with its last statement, and Postgres committed: what to report. */
class CommittedDespiteFailure extends Error {
  constructor(readonly failure: unknown) {
    super('The work failed after its transaction committed');
  }
}

/** pg's client in pipeline mode sends each query at once rather than after the previous one's answer. */
type PipelinedClient = PoolClient & { pipeline: boolean };

/** TypeORM's transaction bookkeeping on a query runner, set as its own startTransaction() would. */
type RunnerState = Omit<QueryRunner, 'isTransactionActive'> & {
  isTransactionActive: boolean;
  transactionDepth: number;
};

@Injectable()
export class UnitOfWork {
  /** Undefined: TypeORM's own transaction (unit specs' stand-ins have no config). */
  private readonly mode?: { pipelined: boolean };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() config?: AppConfig,
  ) {
    // The embedded engine runs one statement at a time whatever the client sends: nothing to gain by pipelining.
    if (config) this.mode = { pipelined: !config.embedded && config.database.pipelining };
  }

  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const effects: Effect[] = [];
    const afterCommit = (effect: Effect): void => {
      effects.push(effect);
    };
    let result: T;
    try {
      result = this.mode
        ? await this.transaction(this.mode.pipelined, work, afterCommit)
        : await this.dataSource.transaction((manager) =>
            work({ manager, afterCommit, commitBehindNextStatement: () => undefined }),
          );
    } catch (err) {
      if (!(err instanceof CommittedDespiteFailure)) throw err;
      await runEffects(effects);
      throw err.failure;
    }
    await runEffects(effects);
    return result;
  }

  /**
   * dataSource.transaction(), with the COMMIT's answer checked and, when `pipelined`, BEGIN sent without waiting for
   * its answer and COMMIT sent behind a last statement the work declares.
   */
  private async transaction<T>(
    pipelined: boolean,
    work: (tx: Transaction) => Promise<T>,
    afterCommit: (effect: Effect) => void,
  ): Promise<T> {
    const runner = this.dataSource.createQueryRunner() as RunnerState;
    try {
      const client = (await runner.connect()) as PipelinedClient;
      client.pipeline = pipelined;
      try {
        runner.isTransactionActive = true;
        await runner.broadcaster.broadcast('BeforeTransactionStart');
        let begun: Promise<unknown>;
        if (pipelined) {
          // BEGIN and what the work sends before its first wait leave in one write, at the end of this turn.
          const socket = streamOf(client);
          socket.cork();
          setImmediate(() => socket.uncork());
          begun = client.query('BEGIN');
          // Its failure (a broken connection) also fails the statements behind it; it is rethrown below.
          begun.catch(() => undefined);
        } else {
          begun = client.query('BEGIN');
          await begun;
        }
        runner.transactionDepth = 1;
        await runner.broadcaster.broadcast('AfterTransactionStart');
        let committing: Promise<QueryResult> | undefined;
        const sendWithCommit: SendWithCommit = (send) => {
          const socket = streamOf(client);
          socket.cork();
          try {
            const answer = send();
            committing = client.query('COMMIT');
            // Awaited below, after the work; a broken connection fails the work's own statement first.
            committing.catch(() => undefined);
            return answer;
          } finally {
            socket.uncork();
          }
        };
        const tx: Transaction = {
          manager: runner.manager,
          afterCommit,
          // Elsewhere than on pipelined Postgres the statement's answer is awaited before COMMIT, as usual.
          commitBehindNextStatement: () => {
            if (pipelined) commitBehind.set(runner, sendWithCommit);
          },
        };
        try {
          const result = await work(tx);
          commitBehind.delete(runner);
          await begun;
          await commit(runner, client, committing);
          return result;
        } catch (err) {
          commitBehind.delete(runner);
          if (committing) {
            // The transaction ended with the COMMIT already sent: committed, or rolled back by Postgres.
            const answer = await committing.catch(() => undefined);
            runner.isTransactionActive = false;
            runner.transactionDepth = 0;
            throw answer?.command === 'COMMIT' ? new CommittedDespiteFailure(err) : err;
          }
          if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
          throw err;
        }
      } finally {
        client.pipeline = false;
      }
    } finally {
      await runner.release();
    }
  }
}

/** The TCP socket under a pg client. */
function streamOf(client: PoolClient): Socket {
  return (client as unknown as { connection: { stream: Socket } }).connection.stream;
}

async function runEffects(effects: Effect[]): Promise<void> {
  for (const effect of effects) {
    // Synchronous effects (most: publishing) run back to back, with no turn of the event loop between them.
    const pending = effect();
    if (pending instanceof Promise) await pending;
  }
}

/**
 * runner.commitTransaction() (or the COMMIT `sent` behind the last statement), with the answer checked: Postgres
 * answers COMMIT with ROLLBACK when a statement of the transaction failed, and the work may have caught that
 * statement's error (a unique violation it expected, say). TypeORM would report the commit done; here it fails, and
 * nothing the work queued is published.
 */
async function commit(runner: RunnerState, client: PoolClient, sent?: Promise<QueryResult>): Promise<void> {
  await runner.broadcaster.broadcast('BeforeTransactionCommit');
  const answer = await (sent ?? client.query('COMMIT'));
  runner.isTransactionActive = false;
  runner.transactionDepth = 0;
  if (answer.command === 'ROLLBACK') {
    throw new Error('The database rolled the transaction back: one of its statements failed');
  }
  await runner.broadcaster.broadcast('AfterTransactionCommit');
}
