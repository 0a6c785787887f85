// The gateway's own error answers, and plugins' (ctx.response.error), in the format the client asks
// for, as Kong's kong.response.error: by Accept, else Content-Type, else kong.conf's error_default_type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbLessArgs, freePort, runCli, startNode, type RunningNode } from '../support/cli.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { rawRequest, startUpstream, type Upstream } from '../support/upstream.ts';

let up: Upstream;
let closedPort: number;
const config = () => ({
  _format_version: '3.0',
  consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'k1' }] }],
  services: [
    { name: 'echo', url: up.url, routes: [{ name: 'locked', paths: ['/locked'], plugins: [{ name: 'key-auth' }] }] },
    { name: 'gone', url: `http://127.0.0.1:${closedPort}`, retries: 0, routes: [{ name: 'gone', paths: ['/gone'] }] },
    {
      name: 'limited',
      url: up.url,
      routes: [{ name: 'limited', paths: ['/limited'], plugins: [{ name: 'rate-limiting', config: { minute: 1, policy: 'local', error_message: 'Slow down' } }] }],
    },
  ],
});

beforeAll(async () => {
  up = await startUpstream('echo');
  closedPort = await freePort();
});
afterAll(() => up.close());

describe('error bodies with the default error_default_type (text/plain)', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config());
  });
  afterAll(() => proxy.close());

  const get = (path: string, headers: Record<string, string> = {}) => rawRequest(`${proxy.url}${path}`, { headers });

  it('answers a router miss in the format the Accept header asks for', async () => {
    const json = await get('/nowhere', { accept: 'application/json' });
    expect(json.status).toBe(404);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    const id = json.headers['x-kong-request-id'] as string;
    expect(json.body).toBe(`{\n  "message":"no Route matched with those values",\n  "request_id":"${id}"\n}`);

    const html = await get('/nowhere', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toContain(`<p>no Route matched with those values.</p>\n    <p>request_id: ${html.headers['x-kong-request-id'] as string}</p>`);

    const xml = await get('/nowhere', { accept: 'application/xml' });
    expect(xml.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(xml.body).toContain('<message>no Route matched with those values</message>');

    // curl's Accept: */* gets JSON.
    expect((await get('/nowhere', { accept: '*/*' })).headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('uses Content-Type without an Accept header, and text/plain with neither', async () => {
    const byType = await get('/nowhere', { 'content-type': 'application/json' });
    expect(byType.headers['content-type']).toBe('application/json; charset=utf-8');
    const plain = await get('/nowhere');
    expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(plain.body).toBe(`no Route matched with those values\nrequest_id: ${plain.headers['x-kong-request-id'] as string}\n`);
  });

  it('formats upstream failures the same way', async () => {
    const res = await get('/gone', { accept: 'application/xml' });
    expect(res.status).toBe(502);
    expect(res.body).toContain('<message>An invalid response was received from the upstream server</message>');
  });

  it('formats the errors plugins answer with (key-auth, rate-limiting), keeping their headers', async () => {
    const html = await get('/locked', { accept: 'text/html' });
    expect(html.status).toBe(401);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['www-authenticate']).toBe('Key');
    expect(html.body).toContain('<p>No API key found in request.</p>');
    const plain = await get('/locked');
    expect(plain.body).toBe(`No API key found in request\nrequest_id: ${plain.headers['x-kong-request-id'] as string}\n`);
    expect((await get('/locked', { apikey: 'k1' })).status).toBe(200);

    expect((await get('/limited')).status).toBe(200);
    const limited = await get('/limited', { accept: 'application/json' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(JSON.parse(limited.body)).toEqual({ message: 'Slow down', request_id: limited.headers['x-kong-request-id'] });
  });
});

describe('error_default_type = application/json', () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy(config(), { errorDefaultType: 'application/json' });
  });
  afterAll(() => proxy.close());

  it('answers JSON to a request that names no format, and still follows an Accept header', async () => {
    const res = await rawRequest(`${proxy.url}/nowhere`);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({ message: 'no Route matched with those values', request_id: res.headers['x-kong-request-id'] });
    expect((await rawRequest(`${proxy.url}/nowhere`, { headers: { accept: 'text/plain' } })).headers['content-type']).toBe('text/plain; charset=utf-8');
  });
});

describe('tollgate start --error-default-type', () => {
  let node: RunningNode;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    node = await startNode([...dbLessArgs(config(), `127.0.0.1:${port}`), '--workers', '1', '--error-default-type', 'text/html'], `http://127.0.0.1:${port}/locked?apikey=k1`);
  }, 40_000);
  afterAll(() => node.stop());

  it('applies it to the proxy', async () => {
    const res = await rawRequest(`http://127.0.0.1:${port}/nowhere`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('refuses a value it does not know, naming the option', async () => {
    const res = await runCli(['start', ...dbLessArgs(config(), '127.0.0.1:0'), '--error-default-type', 'application/yaml']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("--error-default-type: 'application/yaml' is not one of text/plain, application/json, text/html, application/xml");
  });
});
