// kong.conf's `headers` and `headers_upstream`: which of Kong's own headers the proxy adds, on proxied
// responses, on its own answers (errors, plugin exits) and on requests to services.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbLessArgs, freePort, runCli, startNode, type RunningNode } from '../support/cli.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { rawRequest, startUpstream, type Upstream } from '../support/upstream.ts';

const KONG_RESPONSE_HEADERS = ['via', 'server', 'x-kong-request-id', 'x-kong-upstream-latency', 'x-kong-proxy-latency', 'x-kong-response-latency', 'x-kong-upstream-status'];

let up: Upstream;
const config = () => ({
  _format_version: '3.0',
  consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'k1' }] }],
  services: [
    {
      name: 'echo',
      url: up.url,
      routes: [
        { name: 'open', paths: ['/open'] },
        { name: 'locked', paths: ['/locked'], plugins: [{ name: 'key-auth' }] },
      ],
    },
  ],
});
const kongHeadersOf = (headers: Record<string, unknown>) => KONG_RESPONSE_HEADERS.filter((h) => headers[h] !== undefined).sort();

beforeAll(async () => {
  up = await startUpstream('echo');
});
afterAll(() => up.close());

describe('headers = off, headers_upstream = off', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    // `off` first turns everything off, whatever follows (as in Kong).
    proxy = await startProxy(config(), { headers: ['off', 'Via'], headersUpstream: ['off'] });
  });
  afterAll(() => proxy.close());

  it('adds none of Kong’s headers to a proxied response, nor X-Kong-Request-Id upstream', async () => {
    const res = await rawRequest(`${proxy.url}/open/x`);
    expect(res.status).toBe(200);
    expect(kongHeadersOf(res.headers)).toEqual([]);
    const seen = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(seen.headers['x-kong-request-id']).toBeUndefined();
    // The forwarding headers are not Kong's to switch off.
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('passes a client’s own X-Kong-Request-Id through when it sets none upstream', async () => {
    const res = await rawRequest(`${proxy.url}/open/x`, { headers: { 'x-kong-request-id': 'from-the-client' } });
    expect((JSON.parse(res.body) as { headers: Record<string, string> }).headers['x-kong-request-id']).toBe('from-the-client');
  });

  it('adds none to its own answers either; the body still carries the request id', async () => {
    const miss = await rawRequest(`${proxy.url}/nowhere`);
    expect(miss.status).toBe(404);
    expect(kongHeadersOf(miss.headers)).toEqual([]);
    expect(miss.body).toMatch(/^no Route matched with those values\nrequest_id: [0-9a-f]+\n$/);
    const refused = await rawRequest(`${proxy.url}/locked`);
    expect(refused.status).toBe(401);
    expect(kongHeadersOf(refused.headers)).toEqual([]);
  });
});

describe('headers = X-Kong-Upstream-Status, Via', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config(), { headers: ['X-Kong-Upstream-Status', 'Via'] });
  });
  afterAll(() => proxy.close());

  it('adds exactly those, and X-Kong-Request-Id upstream (headers_upstream default)', async () => {
    const res = await rawRequest(`${proxy.url}/open/x`);
    expect(kongHeadersOf(res.headers)).toEqual(['via', 'x-kong-upstream-status']);
    expect(res.headers['x-kong-upstream-status']).toBe('200');
    expect((JSON.parse(res.body) as { headers: Record<string, string> }).headers['x-kong-request-id']).toMatch(/^[0-9a-f]+$/);
  });
});

describe('headers = latency_tokens', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config(), { headers: ['latency_tokens'] });
  });
  afterAll(() => proxy.close());

  it('times proxied responses and the answers plugins give, and adds nothing else', async () => {
    const res = await rawRequest(`${proxy.url}/open/x`);
    expect(kongHeadersOf(res.headers)).toEqual(['x-kong-proxy-latency', 'x-kong-upstream-latency']);
    const refused = await rawRequest(`${proxy.url}/locked`);
    expect(refused.status).toBe(401);
    expect(kongHeadersOf(refused.headers)).toEqual(['x-kong-response-latency']);
    const miss = await rawRequest(`${proxy.url}/nowhere`);
    expect(miss.status).toBe(404);
    expect(kongHeadersOf(miss.headers)).toEqual(['x-kong-response-latency']);
  });
});

describe('tollgate start --headers', () => {
  let node: RunningNode;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    node = await startNode(
      [...dbLessArgs(config(), `127.0.0.1:${port}`), '--workers', '2', '--headers', 'off', '--headers-upstream', 'off'],
      `http://127.0.0.1:${port}/open/ready`,
    );
  }, 40_000);
  afterAll(() => node.stop());

  it('applies with two workers', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await rawRequest(`http://127.0.0.1:${port}/open/x`);
      expect(kongHeadersOf(res.headers)).toEqual([]);
      expect((JSON.parse(res.body) as { headers: Record<string, string> }).headers['x-kong-request-id']).toBeUndefined();
    }
  });

  it('refuses a value it does not know, naming it', async () => {
    const res = await runCli(['start', ...dbLessArgs(config(), '127.0.0.1:0'), '--headers', 'server_tokens, X-Powered-By']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("--headers: unknown value 'X-Powered-By'");
    const upstream = await runCli(['start', ...dbLessArgs(config(), '127.0.0.1:0'), '--headers-upstream', 'Via']);
    expect(upstream.code).not.toBe(0);
    expect(upstream.stderr).toContain("--headers-upstream: unknown value 'Via' (X-Kong-Request-Id or off)");
  });
});
