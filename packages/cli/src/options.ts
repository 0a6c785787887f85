// Every setting mirrors Kong's kong.conf name: `admin_listen` is `--admin-listen` on the command line
// and `TOLLGATE_ADMIN_LISTEN` in the environment. A flag beats the environment, which beats the default.

export interface OptionSpec {
  /** kong.conf-style name, snake_case. */
  readonly name: string;
  readonly description: string;
  readonly default?: string;
  readonly boolean?: boolean;
}

export const OPTIONS = [
  { name: 'role', description: 'traditional (Admin API + proxy on one node), control_plane, or data_plane', default: 'traditional' },
  { name: 'proxy_listen', description: 'proxy addresses, comma-separated; add " ssl" for TLS', default: '127.0.0.1:8000, 127.0.0.1:8443 ssl' },
  { name: 'declarative_config', description: 'data_plane without a control plane: serve this Kong declarative file' },
  { name: 'workers', description: 'proxy worker processes (node:cluster); default: one per core' },
  { name: 'ssl_cert', description: "PEM certificate the proxy's TLS listeners serve when no SNI matches (default: self-signed, kept in PREFIX/ssl)" },
  { name: 'ssl_cert_key', description: 'PEM key of --ssl-cert' },
  { name: 'trusted_ips', description: 'addresses and ranges (comma-separated) whose X-Forwarded-* and real-IP header are believed; 0.0.0.0/0,::/0 trusts everyone' },
  { name: 'real_ip_header', description: 'with --trusted-ips: the header naming the client (X-Forwarded-For behind most load balancers)', default: 'X-Real-IP' },
  { name: 'real_ip_recursive', description: "with --trusted-ips: 'on' takes the last untrusted address of the header's list instead of its last", default: 'off' },
  { name: 'headers', description: "Kong's headers on responses: server_tokens, latency_tokens, X-Kong-Request-Id, X-Kong-Upstream-Status, single names, or off", default: 'server_tokens, latency_tokens, X-Kong-Request-Id' },
  { name: 'headers_upstream', description: "Kong's headers on requests to services: X-Kong-Request-Id or off", default: 'X-Kong-Request-Id' },
  { name: 'error_default_type', description: "format of the gateway's error bodies when the request's Accept (or Content-Type) names none: text/plain, application/json, text/html or application/xml", default: 'text/plain' },
  { name: 'status_listen', description: "data_plane: address of the status API (/status, /status/ready); 'off' to disable", default: '127.0.0.1:8007' },
  { name: 'prefix', description: 'folder for data, logs and caches (the embedded store lives in PREFIX/data)', default: '.tollgate' },
  { name: 'admin_listen', description: 'address the Admin API listens on', default: '127.0.0.1:8001' },
  { name: 'admin_token', description: 'when set, every Admin API request must carry it (Authorization: Bearer …)' },
  { name: 'pg_url', description: 'Postgres connection URL; without it the embedded PGlite store is used' },
  { name: 'plugins', description: 'comma-separated: "bundled" (every bundled plugin), bundled plugin names, and paths of custom plugins (./my-plugin)', default: 'bundled' },
  { name: 'admin_url', description: 'for config import/export: talk to a running Admin API instead of the store' },
  { name: 'nest', description: 'config export: nest children under their parents', boolean: true },
  { name: 'cluster_listen', description: 'control_plane: address data planes connect to (TLS WebSocket)', default: '0.0.0.0:8005' },
  { name: 'cluster_control_plane', description: 'data_plane: host:port of the control plane cluster listener' },
  { name: 'cluster_cert', description: 'cluster certificate (PEM file): the shared one, or this node’s in pki mode' },
  { name: 'cluster_cert_key', description: 'key of --cluster-cert (PEM file); data planes also derive their cache key from it' },
  { name: 'cluster_mtls', description: 'shared (one pinned certificate on both sides) or pki (certificates signed by --cluster-ca-cert)', default: 'shared' },
  { name: 'cluster_ca_cert', description: 'pki mode: the cluster CA certificate (PEM file)' },
  { name: 'cluster_dp_labels', description: 'data_plane: labels shown on the control plane, e.g. region:eu,tier:edge' },
  { name: 'cluster_server_name', description: 'name on the control plane certificate that data planes verify (pki); certs generate default: tollgate-control-plane' },
  { name: 'out', description: 'certs generate: folder to write the certificates and keys to' },
  { name: 'days', description: 'certs generate: days the certificates are valid', default: '1095' },
  { name: 'san', description: 'certs generate: more control plane names, comma-separated (DNS names or IP addresses)' },
  { name: 'force', description: 'certs generate: overwrite existing files', boolean: true },
  { name: 'help', description: 'show help', boolean: true },
] as const satisfies readonly OptionSpec[];

export type OptionName = (typeof OPTIONS)[number]['name'];
export type Options = Partial<Record<OptionName, string>> & { positionals: string[] };

const flagOf = (name: string) => `--${name.replace(/_/g, '-')}`;
const envOf = (name: string) => `TOLLGATE_${name.toUpperCase()}`;

/** Parses argv (flags as `--name value` or `--name=value`) over the environment and defaults. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Options {
  const byFlag = new Map<string, OptionSpec>(OPTIONS.map((o) => [flagOf(o.name), o]));
  const out: Options = { positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      out.help = 'true';
      continue;
    }
    if (!arg.startsWith('--')) {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const spec = byFlag.get(flag);
    if (spec === undefined) throw new UsageError(`unknown option ${flag}; run 'tollgate --help' for the list`);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      if (spec.boolean === true) value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) throw new UsageError(`option ${flag} needs a value`);
      }
    }
    out[spec.name as OptionName] = value;
  }
  for (const spec of OPTIONS) {
    const key = spec.name as OptionName;
    if (out[key] !== undefined) continue;
    const fromEnv = env[envOf(spec.name)];
    if (fromEnv !== undefined && fromEnv !== '') out[key] = fromEnv;
    else if ('default' in spec) out[key] = spec.default;
  }
  return out;
}

export class UsageError extends Error {}

/** A comma-separated option value (`a, b,c`) as its non-empty, trimmed entries. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Kong's listen list: `127.0.0.1:8000, 127.0.0.1:8443 ssl` → addresses with a TLS flag. */
export function parseListenList(value: string): Array<{ host: string; port: number; tls: boolean }> {
  if (value.trim() === 'off') return [];
  return value.split(',').map((part) => {
    const words = part.trim().split(/\s+/);
    const address = parseListen(words[0] ?? '');
    const flags = words.slice(1);
    for (const f of flags) if (f !== 'ssl' && f !== 'http2' && f !== 'reuseport') throw new UsageError(`unknown flag '${f}' in listen address '${part.trim()}': expected ssl`);
    return { ...address, tls: flags.includes('ssl') };
  });
}

/** `127.0.0.1:8001`, `:8001`, `8001` or `[::1]:8001` → host and port. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):?(\d+)$/.exec(value.trim().split(/\s+/)[0]!);
  if (m === null) throw new UsageError(`invalid listen address '${value}': expected host:port, e.g. 127.0.0.1:8001`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`invalid port in '${value}'`);
  return { host: m[1] ?? (m[2] === '' || m[2] === undefined ? '127.0.0.1' : m[2]), port };
}

export function helpText(): string {
  const flagWidth = Math.max(...OPTIONS.map((o) => flagOf(o.name).length));
  const envWidth = Math.max(...OPTIONS.map((o) => envOf(o.name).length));
  const lines = OPTIONS.map((o) => `  ${flagOf(o.name).padEnd(flagWidth)} ${envOf(o.name).padEnd(envWidth)} ${o.description}${'default' in o ? ` (default: ${o.default})` : ''}`);
  return [
    'Usage: tollgate <command> [options]',
    '',
    'Commands:',
    '  start                      run a node (--role traditional | control_plane)',
    '  migrations up|status       apply or list database migrations',
    '  config validate FILE       check a Kong declarative file (needs no server or database)',
    '  config import FILE         replace the store contents with FILE (all or nothing)',
    '  config export [FILE]       write the store contents as a declarative file (stdout without FILE)',
    '  certs generate --out DIR   write cluster certificates for shared and pki mode (no openssl needed)',
    '',
    'Options (flag, environment variable, meaning):',
    ...lines,
  ].join('\n');
}
