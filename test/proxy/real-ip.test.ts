// Behind a load balancer: trusted_ips, real_ip_header and real_ip_recursive (Kong's kong.conf settings,
// nginx's realip module). A trusted peer names the client and its X-Forwarded-* headers are kept; from
// anyone else they are replaced. Through real data planes (in-process and the CLI with two workers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbLessArgs, freePort, runCli, startNode, type RunningNode } from '../support/cli.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { rawRequest, startUpstream, type Upstream } from '../support/upstream.ts';

interface Echo {
  url: string;
  headers: Record<string, string>;
}

let up: Upstream;
const config = () => ({
  _format_version: '3.0',
  services: [
    {
      name: 'echo',
      url: up.url,
      routes: [
        { name: 'echo', paths: ['/echo'] },
        { name: 'guarded', paths: ['/guarded'], plugins: [{ name: 'ip-restriction', config: { deny: ['203.0.113.7'] } }] },
        { name: 'secure', paths: ['/secure'], protocols: ['https'] },
        { name: 'moved', paths: ['/moved'], protocols: ['https'], https_redirect_status_code: 308 },
      ],
    },
  ],
});
const echo = async (proxy: ProxyHarness, headers: Record<string, string>, path = '/echo/x'): Promise<Echo> => {
  const res = await rawRequest(`${proxy.url}${path}`, { headers });
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as Echo;
};

beforeAll(async () => {
  up = await startUpstream('echo');
});
afterAll(async () => {
  await up.close();
});

describe('a trusted peer (X-Forwarded-For, recursive)', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config(), { realIp: { trustedIps: ['127.0.0.1', '10.0.0.0/8'], header: 'X-Forwarded-For', recursive: true } });
  });
  afterAll(() => proxy.close());

  it('takes the last untrusted address of X-Forwarded-For as the client and keeps the X-Forwarded-* it sent', async () => {
    const seen = await echo(proxy, {
      'x-forwarded-for': '203.0.113.9, 10.1.2.3',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example.com',
      'x-forwarded-port': '443',
      'x-forwarded-path': '/shop/echo/x',
      'x-forwarded-prefix': '/shop',
    });
    expect(seen.headers).toMatchObject({
      'x-real-ip': '203.0.113.9',
      'x-forwarded-for': '203.0.113.9, 10.1.2.3, 127.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example.com',
      'x-forwarded-port': '443',
      'x-forwarded-path': '/shop/echo/x',
      'x-forwarded-prefix': '/shop',
    });
  });

  it('fills in its own X-Forwarded-* where the peer sent none', async () => {
    const seen = await echo(proxy, { 'x-forwarded-for': '198.51.100.20' });
    expect(seen.headers).toMatchObject({ 'x-real-ip': '198.51.100.20', 'x-forwarded-proto': 'http', 'x-forwarded-host': '127.0.0.1', 'x-forwarded-path': '/echo/x', 'x-forwarded-prefix': '/echo' });
  });

  it('gives plugins the real client: ip-restriction refuses the address behind the balancer', async () => {
    const refused = await rawRequest(`${proxy.url}/guarded`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(refused.status).toBe(403);
    expect(refused.body.split('\n')[0]).toBe('IP address not allowed: 203.0.113.7');
    expect((await rawRequest(`${proxy.url}/guarded`, { headers: { 'x-forwarded-for': '203.0.113.8' } })).status).toBe(200);
  });

  it('serves an https-only route to a balancer that terminated TLS (X-Forwarded-Proto: https), and redirects to its host', async () => {
    expect((await rawRequest(`${proxy.url}/secure/x`, { headers: { 'x-forwarded-proto': 'https' } })).status).toBe(200);
    expect((await rawRequest(`${proxy.url}/secure/x`, { headers: { 'x-forwarded-proto': 'http' } })).status).toBe(426);
    const moved = await rawRequest(`${proxy.url}/moved/x?y=1`, { headers: { host: 'internal:8000', 'x-forwarded-host': 'shop.example.com' } });
    expect(moved.status).toBe(308);
    expect(moved.headers['location']).toBe('https://shop.example.com/moved/x?y=1');
  });

  it('keeps the connecting address when the header is missing or not an address', async () => {
    expect((await echo(proxy, {})).headers['x-real-ip']).toBe('127.0.0.1');
    expect((await echo(proxy, { 'x-forwarded-for': 'unknown' })).headers['x-real-ip']).toBe('127.0.0.1');
  });

  it('reads the list as nginx does: empty entries skipped, a bad entry ends the search at the last address reached', async () => {
    expect((await echo(proxy, { 'x-forwarded-for': '203.0.113.9, 10.1.2.3, ' })).headers['x-real-ip']).toBe('203.0.113.9');
    expect((await echo(proxy, { 'x-forwarded-for': '203.0.113.9, garbage, 10.1.2.3' })).headers['x-real-ip']).toBe('10.1.2.3');
  });
});

describe('a trusted peer, not recursive', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config(), { realIp: { trustedIps: ['127.0.0.1', '10.0.0.0/8'], header: 'X-Forwarded-For' } });
  });
  afterAll(() => proxy.close());

  it('takes the last address of the list, trusted or not', async () => {
    expect((await echo(proxy, { 'x-forwarded-for': '203.0.113.9, 10.1.2.3' })).headers['x-real-ip']).toBe('10.1.2.3');
  });
});

describe('an IPv6 range', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config(), { realIp: { trustedIps: ['::/0'] } });
  });
  afterAll(() => proxy.close());

  it('does not trust an IPv4 peer, even ::/0 (as nginx)', async () => {
    expect((await echo(proxy, { 'x-real-ip': '203.0.113.9', 'x-forwarded-proto': 'https' })).headers).toMatchObject({ 'x-real-ip': '127.0.0.1', 'x-forwarded-proto': 'http' });
  });
});

describe('the default real-IP header (X-Real-IP)', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config(), { realIp: { trustedIps: ['127.0.0.0/8'] } });
  });
  afterAll(() => proxy.close());

  it('names the client, with a port or in brackets, and becomes X-Forwarded-For when the peer sent none', async () => {
    const seen = await echo(proxy, { 'x-real-ip': '198.51.100.4:5678' });
    expect(seen.headers).toMatchObject({ 'x-real-ip': '198.51.100.4', 'x-forwarded-for': '198.51.100.4' });
    expect((await echo(proxy, { 'x-real-ip': '[2001:db8::1]:443' })).headers['x-real-ip']).toBe('2001:db8::1');
  });
});

describe('a peer that is not trusted', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config(), { realIp: { trustedIps: ['10.0.0.0/8'], header: 'X-Forwarded-For', recursive: true } });
  });
  afterAll(() => proxy.close());

  it('is the client itself, and its X-Forwarded-* are replaced (X-Forwarded-For appended)', async () => {
    const seen = await echo(proxy, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-real-ip': '203.0.113.9' });
    expect(seen.headers).toMatchObject({ 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '203.0.113.9, 127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': '127.0.0.1' });
    const refused = await rawRequest(`${proxy.url}/guarded`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(refused.status).toBe(200);
  });

  it('cannot claim https for an https-only route, nor pick the redirect host', async () => {
    expect((await rawRequest(`${proxy.url}/secure/x`, { headers: { 'x-forwarded-proto': 'https' } })).status).toBe(426);
    const moved = await rawRequest(`${proxy.url}/moved/x`, { headers: { host: 'api.example.com', 'x-forwarded-host': 'evil.example' } });
    expect(moved.headers['location']).toBe('https://api.example.com/moved/x');
  });
});

describe('tollgate start --trusted-ips', () => {
  let node: RunningNode;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    node = await startNode(
      [...dbLessArgs(config(), `127.0.0.1:${port}`), '--workers', '2',
        '--trusted-ips', '127.0.0.1', '--real-ip-header', 'X-Forwarded-For', '--real-ip-recursive', 'on'],
      `http://127.0.0.1:${port}/echo/ready`,
    );
  }, 40_000);
  afterAll(() => node.stop());

  it('applies with two workers', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await rawRequest(`http://127.0.0.1:${port}/echo/x`, { headers: { 'x-forwarded-for': '203.0.113.9, 127.0.0.1' } });
      expect((JSON.parse(res.body) as Echo).headers['x-real-ip']).toBe('203.0.113.9');
    }
  });

  it('refuses to start on an entry that is not an address or range, naming it', async () => {
    const res = await runCli(['start', ...dbLessArgs(config(), '127.0.0.1:0'), '--trusted-ips', '127.0.0.1, 10.0.0.0/33']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('--trusted-ips: invalid ip or cidr range: 10.0.0.0/33');
    const recursive = await runCli(['start', ...dbLessArgs(config(), '127.0.0.1:0'), '--trusted-ips', '127.0.0.1', '--real-ip-recursive', 'yes']);
    expect(recursive.code).not.toBe(0);
    expect(recursive.stderr).toContain("--real-ip-recursive must be on or off, not 'yes'");
    const proxyProtocol = await runCli(['start', ...dbLessArgs(config(), '127.0.0.1:0'), '--trusted-ips', '127.0.0.1', '--real-ip-header', 'proxy_protocol']);
    expect(proxyProtocol.code).not.toBe(0);
    expect(proxyProtocol.stderr).toContain('the PROXY protocol is not supported');
  });
});
