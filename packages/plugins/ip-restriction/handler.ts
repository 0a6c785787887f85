// ip-restriction: refuses requests whose client IP is in `deny` or, when `allow` is set, not in it
// (kong/plugins/ip-restriction/handler.lua). Deny is checked first. Ranges are parsed once in `prepare`
// (the SDK's CidrSet: IPv4 ranges also match IPv4-mapped IPv6 clients).
// Only the HTTP access phase is implemented; Kong's tcp/tls preread phase is not.
import { CidrSet, parseIp, type PluginHandlers } from '@tollgate/plugin-sdk';

export interface IpRestrictionConfig {
  allow: CidrSet | undefined;
  deny: CidrSet | undefined;
  status: number;
  /** Fixed message, or undefined for Kong's `IP address not allowed: <ip>`. */
  message: string | undefined;
}

export function prepareIpRestriction(config: Record<string, unknown>): IpRestrictionConfig {
  const list = (value: unknown): CidrSet | undefined =>
    Array.isArray(value) && value.length > 0 ? new CidrSet(value as string[]) : undefined;
  return {
    allow: list(config['allow']),
    deny: list(config['deny']),
    status: typeof config['status'] === 'number' ? config['status'] : 403,
    message: typeof config['message'] === 'string' ? config['message'] : undefined,
  };
}

export const ipRestrictionHandlers: PluginHandlers<IpRestrictionConfig> = {
  access(ctx) {
    const { allow, deny, status, message } = ctx.config;
    const ip = ctx.request.clientIp;
    const parsed = parseIp(ip);
    let blocked: boolean;
    if (parsed === undefined) blocked = true; // Kong: "Cannot identify the client IP address" → refused
    else if (deny !== undefined && deny.hasBytes(parsed.bytes)) blocked = true;
    else blocked = allow !== undefined && !allow.hasBytes(parsed.bytes);
    if (blocked) ctx.response.error(status, message ?? `IP address not allowed: ${ip}`);
  },
};
