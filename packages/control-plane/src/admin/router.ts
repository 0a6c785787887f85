// A small method + path router for the Admin API. Patterns use `:name` segments; literal segments
// win over parameters, so `/plugins/enabled` is not read as a plugin called "enabled".
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Params = Record<string, string>;
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Params;
  url: URL;
}
export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  segments: string[];
  literalCount: number;
  handlers: Map<string, Handler>;
}

export type RouteMatch = { kind: 'found'; handler: Handler; params: Params } | { kind: 'method-not-allowed' } | { kind: 'not-found' };

export class Router {
  readonly #routes: Route[] = [];
  readonly #byPattern = new Map<string, Route>();

  on(methods: string | string[], pattern: string, handler: Handler): this {
    let route = this.#byPattern.get(pattern);
    if (route === undefined) {
      const segments = pattern.split('/').filter((s) => s !== '');
      route = { segments, literalCount: segments.filter((s) => !s.startsWith(':')).length, handlers: new Map() };
      this.#byPattern.set(pattern, route);
      this.#routes.push(route);
      // Most literal segments first, so fixed paths beat parameters.
      this.#routes.sort((a, b) => b.literalCount - a.literalCount);
    }
    for (const m of Array.isArray(methods) ? methods : [methods]) route.handlers.set(m, handler);
    return this;
  }

  match(method: string, pathname: string): RouteMatch {
    const parts = pathname.split('/').filter((s) => s !== '');
    let sawPath = false;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (params === undefined) continue;
      const handler = route.handlers.get(method) ?? (method === 'HEAD' ? route.handlers.get('GET') : undefined);
      if (handler !== undefined) return { kind: 'found', handler, params };
      sawPath = true;
    }
    return sawPath ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
  }
}

function matchSegments(pattern: string[], parts: string[]): Params | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    let part: string;
    try {
      part = decodeURIComponent(parts[i]!);
    } catch {
      return undefined;
    }
    if (p.startsWith(':')) params[p.slice(1)] = part;
    else if (p !== part) return undefined;
  }
  return params;
}
