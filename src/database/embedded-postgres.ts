// Embedded mode: PGlite (Postgres in WebAssembly) kept in DATA_DIR and served on a private Unix socket,
// so the ordinary `pg` driver and TypeORM's postgres driver run the same code path as in production.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtocolAwareQueryQueue } from './pglite-query-queue.js';

/** Where `pg` connects: a Unix socket directory (host) and port, or a TCP host and port. */
export interface PgEndpoint {
  host: string;
  port: number;
  user: string;
  database: string;
}

const SOCKET_PORT = 5432;
// Postgres's default buffer pool is 128 MB. PGlite zeroes it inside its WebAssembly memory at every start, which is
// about half of a start's CPU (0.7 s → 0.3 s for a start on this machine at 32 MB) and stays resident. Embedded mode
// serves one machine's data, a few tens of MB; the OS page cache holds the data files beyond the pool.
const SHARED_BUFFERS = '32MB';
// Unix socket paths longer than this are silently truncated by the kernel.
const MAX_SOCKET_PATH = 100;

/**
 * Swaps the socket server's query queue for one that keeps each connection's extended-protocol exchange
 * together (see pglite-query-queue.ts). Must run before the server accepts connections.
 */
function withProtocolAwareQueue(server: PGLiteSocketServer): PGLiteSocketServer {
  const internals = server as unknown as { queryQueue?: unknown };
  if (!internals.queryQueue) {
    throw new Error('@electric-sql/pglite-socket changed: no queryQueue to replace (see pglite-query-queue.ts)');
  }
  internals.queryQueue = new ProtocolAwareQueryQueue(server.db);
  return server;
}

export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly socketDir: string | undefined,
    readonly endpoint: PgEndpoint,
  ) {}

  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const db = await PGlite.create(join(dataDir, 'pg'), { postgresqlconf: `shared_buffers = ${SHARED_BUFFERS}` });
    const socketDir = await mkdtemp(join(tmpdir(), 'rthub-'));
    const socketPath = join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
    // Room for the pool plus a spare connection for the migration lock.
    const serverOptions = { db, maxConnections: maxConnections + 2 };
    if (socketPath.length <= MAX_SOCKET_PATH) {
      const server = withProtocolAwareQueue(new PGLiteSocketServer({ ...serverOptions, path: socketPath }));
      await server.start();
      return new EmbeddedPostgres(db, server, socketDir, {
        host: socketDir,
        port: SOCKET_PORT,
        user: 'postgres',
        database: 'postgres',
      });
    }
    await rm(socketDir, { recursive: true, force: true });
    const server = withProtocolAwareQueue(new PGLiteSocketServer({ ...serverOptions, host: '127.0.0.1', port: 0 }));
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    return new EmbeddedPostgres(db, server, undefined, {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
    });
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    if (this.socketDir) await rm(this.socketDir, { recursive: true, force: true });
  }
}
