// The example plugin, run through a real data plane to a real upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyHarness } from '../../test/support/proxy.ts';
import { startUpstream, type Upstream } from '../../test/support/upstream.ts';
import headerStamp from './index.ts';

describe('example plugin: header-stamp', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  beforeAll(async () => {
    up = await startUpstream();
    proxy = await startProxy(
      {
        _format_version: '3.0',
        services: [{ name: 's', url: up.url, routes: [{ paths: ['/'] }] }],
        plugins: [{ name: 'header-stamp', config: { value: 'hello', require: 'x-client' } }],
      },
      { plugins: [headerStamp] },
    );
  });
  afterAll(async () => {
    await proxy.close();
    await up.close();
  });

  it('stamps the request upstream and the response', async () => {
    const res = await fetch(`${proxy.url}/x`, { headers: { 'x-client': 'me' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-stamp')).toBe('hello');
    expect(((await res.json()) as { headers: Record<string, string> }).headers['x-stamp']).toBe('hello');
  });

  it('refuses requests without the required header', async () => {
    const res = await fetch(`${proxy.url}/x`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: 'missing header x-client' });
  });

  it('has its config validated by its own schema', () => {
    expect(() => proxy.snapshot({ _format_version: '3.0', plugins: [{ name: 'header-stamp', config: { value: '' } }] })).toThrow(/value/);
  });
});
