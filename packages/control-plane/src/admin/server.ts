// The Admin API server: authentication, routing, and one error boundary around every handler.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { EntityPreparer } from '@tollgate/schema';
import type { EntityStore } from '../store/index.ts';
import { registerEntityEndpoints } from './entity-endpoints.ts';
import { HttpError, sendError, sendJson, type Logger } from './http.ts';
import { registerInfoEndpoints, type NodeInfo } from './info-endpoints.ts';
import { Router } from './router.ts';
import { registerConfigEndpoints } from './config-endpoints.ts';
import { registerClusteringEndpoints, type DataPlaneDirectory } from './clustering-endpoints.ts';
import { registerHealthEndpoints, type TargetHealthControl } from './health-endpoints.ts';
import { registerProxyCacheEndpoints, type PluginControl } from './proxy-cache-endpoints.ts';

export interface AdminApiOptions {
  store: EntityStore;
  preparer: EntityPreparer;
  node: NodeInfo;
  /** When set, every request must carry it as `Authorization: Bearer …` or `Tollgate-Admin-Token`. */
  adminToken?: string | undefined;
  /** Largest entity body accepted (bytes). */
  bodyLimit?: number;
  /** Largest declarative config accepted by POST /config (bytes). */
  configBodyLimit?: number;
  logger?: Logger;
  /** On a control plane: the data planes of the cluster, for /clustering/*. */
  dataPlanes?: DataPlaneDirectory | undefined;
  /** `GET /metrics` (Prometheus text format, as the prometheus plugin serves it on Kong's Admin API). */
  metrics?: { contentType: string; collect(): Promise<string> } | undefined;
  /** On a node that proxies (traditional): plugins' control commands, for /proxy-cache. */
  pluginControl?: PluginControl | undefined;
  /** On a node that proxies (traditional): its targets' health, for /upstreams/{u}/health and …/healthy|unhealthy. */
  targetHealth?: TargetHealthControl | undefined;
}

export interface AdminApi {
  readonly server: Server;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

const consoleLogger: Logger = {
  error: (message, err) => console.error(`[admin] ${message}`, err),
  info: (message) => console.log(`[admin] ${message}`),
};

export function createAdminApi(options: AdminApiOptions): AdminApi {
  const log = options.logger ?? consoleLogger;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const router = new Router();
  const stats = { totalRequests: 0, active: 0, activeConnections: () => stats.active };
  registerInfoEndpoints(router, { store: options.store, preparer: options.preparer, node: options.node, bodyLimit, stats });
  registerConfigEndpoints(router, { store: options.store, preparer: options.preparer, bodyLimit: options.configBodyLimit ?? 64 * 1024 * 1024 });
  registerClusteringEndpoints(router, options.dataPlanes);
  registerHealthEndpoints(router, { store: options.store, nodeId: options.node.nodeId, source: options.targetHealth });
  registerProxyCacheEndpoints(router, options.pluginControl);
  const metrics = options.metrics;
  if (metrics !== undefined) {
    router.on('GET', '/metrics', async (c) => {
      let text: string;
      try {
        text = await metrics.collect();
      } catch (err) {
        throw new HttpError(503, `could not collect metrics: ${(err as Error).message}; retry the scrape (a proxy worker that is starting or restarting may not answer)`);
      }
      c.res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
      c.res.end(text);
    });
  }
  registerEntityEndpoints(router, { store: options.store, preparer: options.preparer, bodyLimit });
  const token = options.adminToken === undefined || options.adminToken === '' ? undefined : Buffer.from(options.adminToken);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.totalRequests++;
    try {
      if (token !== undefined && !authorized(req, token)) {
        throw new HttpError(401, 'Unauthorized: send the admin token as "Authorization: Bearer <token>" or "Tollgate-Admin-Token: <token>"', { 'www-authenticate': 'Bearer' });
      }
      const url = new URL(req.url ?? '/', 'http://admin');
      const match = router.match(req.method ?? 'GET', url.pathname);
      if (match.kind === 'not-found') throw new HttpError(404, 'Not found');
      if (match.kind === 'method-not-allowed') throw new HttpError(405, 'Method not allowed');
      await match.handler({ req, res, params: match.params, url });
    } catch (err) {
      if (res.headersSent) {
        log.error('error after the response started', err);
        res.destroy();
        return;
      }
      // Drain what the client is still sending so the connection can be reused.
      req.resume();
      sendError(res, err, log);
    }
  };

  const server = createServer((req, res) => {
    stats.active++;
    res.on('close', () => stats.active--);
    void handle(req, res);
  });
  server.keepAliveTimeout = 5000;

  return {
    server,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function authorized(req: IncomingMessage, token: Buffer): boolean {
  const auth = req.headers['authorization'];
  const header = req.headers['tollgate-admin-token'];
  const given = typeof header === 'string' ? header : typeof auth === 'string' && /^Bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
  if (given === undefined) return false;
  const buf = Buffer.from(given);
  return buf.length === token.length && timingSafeEqual(buf, token);
}

export { sendJson };
