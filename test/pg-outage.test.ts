// A running `tollgate start --pg-url` node loses its Postgres server: the Admin API answers 503 with a
// clear message, the process stays up, and it recovers by itself when the server is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startNode, type RunningNode } from './support/cli.ts';
import { privatePostgresAvailable, startPrivatePostgres, type PgCluster } from './support/postgres.ts';

describe.skipIf(!privatePostgresAvailable())('Admin API while Postgres is down (skipped without Postgres binaries)', () => {
  let pg: PgCluster;
  let node: RunningNode;
  let url: string;
  const post = (name: string) => fetch(`${url}/services`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, host: `${name}.internal` }) });

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    expect((await runCli(['migrations', 'up', '--pg-url', pg.url])).code).toBe(0);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    node = await startNode(['--pg-url', pg.url, '--admin-listen', `127.0.0.1:${port}`], `${url}/status`);
  });
  afterAll(async () => {
    await node?.stop();
    await pg?.destroy();
  });

  it('answers 503 during the outage and serves again after it', async () => {
    expect((await post('before')).status).toBe(201);
    await pg.stop();

    const during = await post('during');
    expect(during.status).toBe(503);
    expect(((await during.json()) as { message: string }).message).toMatch(/database at 127\.0\.0\.1:\d+ is unreachable; writes are refused until it returns/);
    expect(during.headers.get('retry-after')).toBe('5');
    const ready = await fetch(`${url}/status/ready`);
    expect(ready.status).toBe(503);
    const status = (await (await fetch(`${url}/status`)).json()) as { database: { reachable: boolean } };
    expect(status.database.reachable).toBe(false);
    expect(node.child.exitCode).toBeNull();

    await pg.start();
    const deadline = Date.now() + 20_000;
    let res = await post('after');
    while (res.status !== 201 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      res = await post('after');
    }
    expect(res.status).toBe(201);
    expect((await fetch(`${url}/services/before`)).status).toBe(200);
    expect((await fetch(`${url}/status/ready`)).status).toBe(200);
  });
});
