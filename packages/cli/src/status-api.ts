// The data plane's status API: `/status` (what config is in force), `/status/ready` (200 once every
// proxy worker has a config, 503 before and once set to draining), for load balancers and
// orchestrators, and `/metrics`
// (Prometheus text format, see metrics.ts), for scrapers.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { joinExpositions, METRICS_CONTENT_TYPE, nodeRegistry } from './metrics.ts';
import type { ProxyGroup } from './proxy/supervisor.ts';
import { VERSION } from './version.ts';

export interface StatusApi {
  server: Server;
  close(): Promise<void>;
}

export type LinkStatus = () => { state: string; version: number | null; hash: string | null };

export async function startStatusApi(listen: { host: string; port: number }, group: ProxyGroup, link?: LinkStatus, node: { nodeId?: string } = {}): Promise<StatusApi> {
  const own = nodeRegistry({ nodeId: node.nodeId, version: VERSION, applied: () => group.applied(), link });
  // Kong's POST /status/ready status=draining: the node says "not ready" to its load balancer (which
  // stops sending it new traffic) while it keeps proxying, before it is stopped.
  let draining = false;
  const setDraining = (req: IncomingMessage, send: (status: number, body: unknown) => void) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body = (body + chunk).slice(0, 4096)));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      let status: unknown;
      try {
        status = type.startsWith('application/json') ? (JSON.parse(body) as { status?: unknown }).status : new URLSearchParams(body).get('status');
      } catch {
        status = undefined;
      }
      if (status !== 'draining') return send(400, { message: "status: expected 'draining' (POST status=draining makes /status/ready answer 503 so a load balancer stops sending traffic)" });
      draining = true;
      send(204, undefined);
    });
  };
  const server = createServer((req, res) => {
    const versions = group.applied();
    const ready = versions.length > 0 && versions.every((v) => v >= 0);
    const send = (status: number, body: unknown) => {
      if (body === undefined) {
        res.writeHead(status);
        res.end();
        return;
      }
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      Promise.all([group.metrics(), own.metrics()]).then(
        (texts) => {
          const text = joinExpositions(texts);
          res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
          res.end(text);
        },
        (err: unknown) => send(503, { message: `could not collect metrics: ${(err as Error).message}; retry the scrape (a proxy worker that is starting or restarting may not answer)` }),
      );
      return;
    }
    if (path === '/status/ready' && req.method === 'POST') return setDraining(req, send);
    if (path === '/status/ready') {
      if (draining) return send(503, { message: 'draining' });
      return ready ? send(200, { message: 'ready' }) : send(503, { message: 'no configuration loaded yet' });
    }
    if (path === '/status') {
      const cluster = link?.();
      return send(200, {
        configuration_version: ready ? Math.min(...versions) : null,
        configuration_hash: cluster?.hash ?? null,
        control_plane: cluster === undefined ? null : { link: cluster.state, version: cluster.version },
        workers: versions.length,
        memory: { rss: process.memoryUsage().rss },
      });
    }
    send(404, { message: 'Not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return { server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
