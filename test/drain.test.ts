// Graceful shutdown: SIGTERM stops new connections, lets requests in flight finish, then exits 0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startNode } from './support/cli.ts';
import { startUpstream } from './support/upstream.ts';

describe.each([1, 2])('draining with %i worker(s)', (workers) => {
  it('finishes a slow request that started before SIGTERM', async () => {
    const up = await startUpstream('slow');
    up.handle((_req, res) => setTimeout(() => res.end('finished'), 800));
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-drain-'));
    const file = join(dir, 'kong.yml');
    writeFileSync(file, `_format_version: "3.0"\nservices:\n  - name: s\n    url: ${up.url}\n    routes:\n      - paths: [/]\n`);
    const [p, st] = [await freePort(), await freePort()];
    const node = await startNode(
      ['--role', 'data_plane', '--declarative-config', file, '--prefix', dir, '--proxy-listen', `127.0.0.1:${p}`, '--status-listen', `127.0.0.1:${st}`, '--workers', String(workers)],
      `http://127.0.0.1:${st}/status/ready`,
    );
    const inflight = fetch(`http://127.0.0.1:${p}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }));
    await new Promise((r) => setTimeout(r, 200));
    const exited = node.stop();
    expect(await inflight).toEqual({ status: 200, body: 'finished' });
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${p}/slow`)).rejects.toThrow();
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
