// key-auth: authenticates a consumer by an API key in a header or the query string (Kong's
// kong/plugins/key-auth/handler.lua). Keys in the request body (`key_in_body`) are not read.
import type { PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';
import { credentialConsumer, runAuth, setConsumer, unauthorized, type AuthFailure } from './consumer.ts';

export interface KeyAuthConfig {
  key_names: string[];
  hide_credentials: boolean;
  anonymous: string | null;
  key_in_header: boolean;
  key_in_query: boolean;
  key_in_body: boolean;
  run_on_preflight: boolean;
  realm: string | null;
}

export const NO_API_KEY = 'No API key found in request';
export const DUPLICATE_API_KEY = 'Duplicate API key found';
// Kong 3.x; Kong 2.x said "Invalid authentication credentials".
export const INVALID_KEY = 'Unauthorized';

/** The raw query without any `name=` parameter (other parameters keep their encoding). */
export function withoutQueryParam(rawQuery: string, name: string): string {
  if (rawQuery === '') return rawQuery;
  return rawQuery
    .split('&')
    .filter((part) => {
      if (part === '') return false;
      const eq = part.indexOf('=');
      const raw = eq === -1 ? part : part.slice(0, eq);
      let decoded = raw;
      try {
        decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      return decoded !== name;
    })
    .join('&');
}

/** The WWW-Authenticate challenge, built only for failures. */
const www = (config: KeyAuthConfig): string => (config.realm != null ? `Key realm="${config.realm}"` : 'Key');

function authenticate(ctx: PluginContext<KeyAuthConfig>): AuthFailure | undefined {
  const { config } = ctx;
  let key: string | undefined;
  for (const name of config.key_names) {
    const lower = name.toLowerCase();
    let found: string | string[] | undefined = config.key_in_header ? ctx.request.headers[lower] : undefined;
    if (found === undefined && config.key_in_query && ctx.request.rawQuery !== '') {
      const values = ctx.request.query().getAll(name);
      found = values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
    }
    if (Array.isArray(found) && found.length > 1) return unauthorized(DUPLICATE_API_KEY, www(config));
    if (found !== undefined) {
      key = Array.isArray(found) ? found[0] : found;
      if (config.hide_credentials) {
        ctx.upstream.removeHeader(lower);
        const query = withoutQueryParam(ctx.upstream.rawQuery, name);
        if (query !== ctx.upstream.rawQuery) ctx.upstream.setQuery(query);
      }
      break;
    }
  }
  if (key === undefined || key === '') return unauthorized(NO_API_KEY, www(config));
  const credential = ctx.entities.find('keyauth_credentials', 'key', key);
  if (credential === undefined) return unauthorized(INVALID_KEY, www(config));
  setConsumer(ctx, credentialConsumer(ctx, credential), credential);
  return undefined;
}

export const keyAuthHandlers: PluginHandlers<KeyAuthConfig> = {
  access: (ctx) => runAuth(ctx, authenticate),
};
