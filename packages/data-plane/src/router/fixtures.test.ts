// Real Kong configs (shared fixtures): requests must route where Kong would send them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildRouter } from './index.ts';
import { req, route } from './test-helpers.ts';
import type { MatchInput, RouteEntity } from './types.ts';
import { upstreamPath } from './upstream-path.ts';

const DIR = '/work/shared/fixtures/kong-configs';

interface DeckService {
  name: string;
  path?: string;
  routes?: DeckRoute[];
}
type DeckRoute = Partial<RouteEntity> & { name: string; service?: string | { id: string } | null };

/**
 * Route entities from a decK file, top-level and nested, with Kong's defaults. Ids are the route
 * names (unique per file): Kong's own ids would be UUIDv5s, which only matters for true ties.
 */
function loadRoutes(file: string): { routes: RouteEntity[]; servicePath: (r: RouteEntity) => string | null } {
  const doc = parse(readFileSync(join(DIR, file), 'utf8')) as { services?: DeckService[]; routes?: DeckRoute[] };
  const services = doc.services ?? [];
  const entity = (r: DeckRoute, serviceName: string | undefined) => {
    const { service: _service, ...fields } = r;
    return route({ ...fields, id: r.name, service: serviceName === undefined ? null : { id: serviceName } });
  };
  const routes = [
    ...services.flatMap((s) => (s.routes ?? []).map((r) => entity(r, s.name))),
    ...(doc.routes ?? []).map((r) => entity(r, typeof r.service === 'string' ? r.service : undefined)),
  ];
  const paths = new Map(services.map((s) => [s.name, s.path ?? null]));
  return { routes, servicePath: (r) => (r.service == null ? null : (paths.get(r.service.id) ?? null)) };
}

describe.skipIf(!existsSync(DIR))(`real Kong configs (${DIR}; skipped when the shared fixtures are not mounted)`, () => {
  describe('04-fleet-toplevel-routes-regex.yml', () => {
    const { routes, servicePath } = loadRoutes('04-fleet-toplevel-routes-regex.yml');
    const router = buildRouter(routes);
    const to = (input: Partial<MatchInput>) => router.match(req(input))?.route.name ?? null;

    it('compiles every route', () => {
      expect(router.errors).toEqual([]);
      expect(router.size).toBe(18);
    });

    it('sends asset ids to the regex routes, by method', () => {
      expect(to({ path: '/api/v1/fleet/assets' })).toBe('fleet-list');
      expect(to({ path: '/api/v1/fleet/assets/A-17' })).toBe('fleet-asset-details');
      expect(to({ method: 'PATCH', path: '/api/v1/fleet/assets/A-17' })).toBe('fleet-asset-update');
      expect(to({ method: 'DELETE', path: '/api/v1/fleet/assets/A-17' })).toBe('fleet-asset-delete');
      expect(to({ method: 'POST', path: '/api/v1/fleet/assets' })).toBe('fleet-asset-create');
      // Kong quirk kept: plain paths are prefixes, so POST to an asset id lands on the create route.
      expect(to({ method: 'POST', path: '/api/v1/fleet/assets/A-17' })).toBe('fleet-asset-create');
    });

    it('prefers regex report routes over the reports prefix', () => {
      expect(to({ path: '/api/v1/reports' })).toBe('reports-list');
      expect(to({ path: '/api/v1/reports/r1/download' })).toBe('reports-download');
      expect(to({ path: '/api/v1/reports/r1/status' })).toBe('reports-status');
      expect(to({ path: '/api/v1/reports/r1' })).toBe('reports-list');
      expect(to({ method: 'POST', path: '/api/v1/reports/generate' })).toBe('reports-generate');
    });

    it("grafana's regex_priority 100 counts for nothing on a plain path", () => {
      const m = router.match(req({ method: 'OPTIONS', path: '/grafana/api/health' }));
      expect(m?.route.name).toBe('grafana-root-path');
      expect(upstreamPath(m!.route, servicePath(m!.route), m!, 'x=1')).toBe('/grafana/api/health?x=1');
      const withRegex = buildRouter([...routes, route({ name: 'grafana-api', methods: ['GET'], paths: ['~/grafana/api'] })]);
      expect(withRegex.match(req({ path: '/grafana/api/health' }))?.route.name).toBe('grafana-api');
    });

    it('404s what no route covers', () => {
      expect(to({ path: '/api/v2/fleet' })).toBeNull();
      expect(to({ method: 'OPTIONS', path: '/api/v1/fleet/assets' })).toBeNull();
    });
  });

  describe('01-comic-web-deck-dump.yml', () => {
    const { routes, servicePath } = loadRoutes('01-comic-web-deck-dump.yml');
    const router = buildRouter(routes);
    const to = (input: Partial<MatchInput>) => router.match(req(input))?.route.name ?? null;

    it('compiles every route', () => {
      expect(router.errors).toEqual([]);
      expect(router.size).toBe(16);
    });

    it('the four identical `paths: [/]` routes (no hosts, no methods) tie: the lowest id wins', () => {
      const catchAll = routes.filter((r) => r.paths?.length === 1 && r.paths[0] === '/');
      expect(catchAll.map((r) => [r.hosts ?? null, r.methods ?? null])).toEqual(Array(4).fill([null, null]));
      for (const method of ['GET', 'POST', 'DELETE']) expect(to({ method, path: '/comics/1' })).toBe('comic-web-django-backend-routes');
    });

    it('method-specific prefixes beat the catch-all only for their methods', () => {
      expect(to({ method: 'POST', path: '/api/login/' })).toBe('auth-login');
      expect(to({ method: 'GET', path: '/api/login/' })).toBe('comic-web-django-backend-routes');
      expect(to({ method: 'GET', path: '/profile/update' })).toBe('user-profile');
      expect(to({ method: 'PATCH', path: '/profile/update' })).toBe('user-profile-update');
      expect(to({ method: 'PUT', path: '/profile/' })).toBe('comic-web-django-backend-routes');
      expect(to({ method: 'DELETE', path: '/api/manga/7' })).toBe('manga-route');
      expect(to({ method: 'GET', path: '/api/mangaka' })).toBe('manga-route');
    });

    it('the catch-all strips `/` and forwards the rest of the path', () => {
      const m = router.match(req({ path: '/comics/1/', host: 'comic.example' }));
      expect(upstreamPath(m!.route, servicePath(m!.route), m!, '')).toBe('/comics/1/?');
    });
  });
});
