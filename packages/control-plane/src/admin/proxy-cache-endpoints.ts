// Kong's proxy-cache Admin API (kong/plugins/proxy-cache/api.lua), on nodes that proxy: purge every
// cached response or one cache key, and look an entry up, across all proxy-cache instances or the one a
// plugin id names. Entries live in each proxy worker's memory, so every command goes to every worker.
import { HttpError, sendJson } from './http.ts';
import type { RequestContext, Router } from './router.ts';

/** Runs a plugin's control command in every proxy process of the node: their answers, and whether all answered. */
export type PluginControl = (plugin: string, command: string, args: Record<string, string>) => Promise<{ answers: unknown[]; complete: boolean }>;

type Answer = { plugin: 'not-found' } | { purged: number } | { entry: Record<string, unknown> | null } | { error: string } | undefined;

const NOT_PROXYING = 'proxy-cache entries live in the memory of the nodes that proxy; a control plane holds none (each data plane empties its own on restart)';

export function registerProxyCacheEndpoints(router: Router, control: PluginControl | undefined): void {
  const run = async (c: RequestContext, command: 'purge' | 'lookup'): Promise<Answer[]> => {
    if (control === undefined) throw new HttpError(400, NOT_PROXYING);
    const args: Record<string, string> = {};
    if (c.params['key'] !== undefined) args['key'] = c.params['key'];
    if (c.params['plugin'] !== undefined) args['plugin'] = c.params['plugin'];
    const result = await control('proxy-cache', command, args);
    const answers = result.answers as Answer[];
    if (answers.length > 0 && answers.every((a) => a !== undefined && 'plugin' in a)) throw new HttpError(404, 'Not found');
    const failed = answers.find((a): a is { error: string } => a !== undefined && 'error' in a);
    if (failed !== undefined) throw new HttpError(500, `a proxy worker failed the command: ${failed.error}`);
    // A purge that did not reach every worker leaves entries being served: say so, so it is retried.
    if (!result.complete) throw new HttpError(503, 'not every proxy worker answered (one may be starting or restarting); try again');
    return answers;
  };
  const purged = (answers: Answer[]) => answers.reduce((n, a) => n + (a !== undefined && 'purged' in a ? a.purged : 0), 0);

  router.on('DELETE', '/proxy-cache', async (c) => {
    await run(c, 'purge');
    sendJson(c.res, 204, undefined);
  });
  for (const pattern of ['/proxy-cache/:key', '/proxy-cache/:plugin/caches/:key']) {
    router.on('DELETE', pattern, async (c) => {
      if (purged(await run(c, 'purge')) === 0) throw new HttpError(404, 'Not found');
      sendJson(c.res, 204, undefined);
    });
    router.on('GET', pattern, async (c) => {
      for (const a of await run(c, 'lookup')) if (a !== undefined && 'entry' in a && a.entry !== null) return sendJson(c.res, 200, a.entry);
      throw new HttpError(404, 'Not found');
    });
  }
}
