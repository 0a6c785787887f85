// response-transformer through a real data plane: header and JSON body steps against a loopback
// upstream that answers canned bodies, content types and encodings, streaming kept for header-only
// configs, gateway answers (key-auth's 401) transformed too, and invalid configs refused.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { brotliCompressSync, deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import responseTransformer from '../../packages/plugins/response-transformer/index.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { listenLoopback, rawRequest, type Listening, type RawReply } from '../support/upstream.ts';

const OBJECT = { keep: 'k', drop: 'd', old: 'o', swap: 'before', flag: false, list: ['a'], n: 1, nested: { inner: 'i' } };
const OBJECT_TEXT = JSON.stringify(OBJECT);
const INVALID_TEXT = '{"drop": "d",';
const ARRAY_TEXT = '[{"drop":"d"}]';

/** Headers every canned reply carries, for the header steps to work on. */
const UPSTREAM_HEADERS = { 'x-keep': '1', 'x-drop': '1', 'x-old': 'old-value', 'x-replace': 'before', 'x-multi': ['a', 'b'] };

/** The streamed reply's second chunk waits for the client to have seen the first (or a fallback). */
const stream = { secondWritten: false, release: () => {} };

const fixed = (contentType: string, body: string | Buffer, encoding?: string) => (res: ServerResponse) => {
  const encoded = encoding === undefined ? {} : { 'content-encoding': encoding };
  res.writeHead(200, { ...UPSTREAM_HEADERS, ...encoded, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/** The object compressed as each encoding the upstream may send it in. */
const ENCODED = {
  gzip: gzipSync(OBJECT_TEXT),
  deflate: deflateSync(OBJECT_TEXT),
  'deflate-raw': deflateRawSync(OBJECT_TEXT),
  br: brotliCompressSync(OBJECT_TEXT),
  // Past the 16 MiB the plugin inflates at most, yet a few kB on the wire.
  huge: gzipSync(JSON.stringify({ drop: 'd', pad: ' '.repeat(17 * 1024 * 1024) })),
};

/** Canned replies, picked by the request's X-Reply header. */
/** Larger than the proxy holds for plugins (16 MiB): it streams, untransformed. */
const HUGE_JSON = JSON.stringify({ drop: 'd', pad: ' '.repeat(17 * 1024 * 1024) });

const REPLIES: Record<string, (res: ServerResponse, req: IncomingMessage) => void> = {
  object: fixed('application/json', OBJECT_TEXT),
  vnd: fixed('application/vnd.api+json; charset=utf-8', OBJECT_TEXT),
  text: fixed('text/plain', OBJECT_TEXT),
  invalid: fixed('application/json', INVALID_TEXT),
  array: fixed('application/json', ARRAY_TEXT),
  gzip: fixed('application/json', ENCODED.gzip, 'gzip'),
  deflate: fixed('application/json', ENCODED.deflate, 'deflate'),
  'deflate-raw': fixed('application/json', ENCODED['deflate-raw'], 'deflate'),
  br: fixed('application/json', ENCODED.br, 'br'),
  'gzip-corrupt': fixed('application/json', ENCODED.gzip.subarray(0, 20), 'gzip'),
  'gzip-huge': fixed('application/json', ENCODED.huge, 'gzip'),
  'json-huge': fixed('application/json', HUGE_JSON),
  stream: (res, req) => {
    stream.secondWritten = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    stream.release = release;
    // A proxy that buffers never shows the client the first chunk; do not wait for it forever.
    const fallback = setTimeout(release, 1000);
    res.writeHead(200, { ...UPSTREAM_HEADERS, 'content-type': String(req.headers['x-type'] ?? 'application/json') });
    res.write('{"drop":"d",');
    void released.then(() => {
      clearTimeout(fallback);
      stream.secondWritten = true;
      res.end('"keep":"k"}');
    });
  },
};

let upstream: Server;
let listening: Listening | undefined;
let proxy: ProxyHarness;

const route = (path: string, config: Record<string, unknown>, extra: Record<string, unknown>[] = []) => ({
  name: path.slice(1),
  paths: [path],
  plugins: [{ name: 'response-transformer', config }, ...extra],
});

const get = (path: string, reply = 'object', headers: Record<string, string> = {}): Promise<RawReply> =>
  rawRequest(proxy.url + path, { headers: { accept: 'application/json', 'x-reply': reply, ...headers } });

const json = (reply: RawReply): Record<string, unknown> => JSON.parse(reply.body) as Record<string, unknown>;

interface BytesReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Like `get`, but the body as the bytes the proxy sent (still encoded). */
const getBytes = (path: string, reply: string): Promise<BytesReply> =>
  new Promise((resolve, reject) => {
    const req = request(proxy.url + path, { headers: { 'x-reply': reply }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

/** How many warnings the proxy logged that match. */
const warnings = (pattern: RegExp): number => proxy.logs.filter((l) => l.startsWith('warn ') && pattern.test(l)).length;

/** The body's length matches what was sent, and differs from the upstream's. */
function expectLengthFixed(reply: RawReply, original: string): void {
  expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(reply.body)));
  expect(reply.headers['content-length']).not.toBe(String(Buffer.byteLength(original)));
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => (REPLIES[String(req.headers['x-reply'])] ?? REPLIES['object']!)(res, req));
  });
  listening = await listenLoopback(upstream);
  const port = listening.port;
  proxy = await startProxy(
    {
      _format_version: '3.0',
      services: [
        {
          name: 'canned',
          url: `http://127.0.0.1:${port}`,
          routes: [
            route('/h-remove', { remove: { headers: ['X-Drop', 'x-absent'] } }),
            route('/h-rename', { rename: { headers: ['X-Old:X-New', 'x-multi:x-many', 'x-absent:x-never'] } }),
            route('/h-replace', { replace: { headers: ['x-replace:after', 'x-absent:nope'] } }),
            route('/h-add', { add: { headers: ['x-keep:overwritten', 'x-added:yes', 'x-url:http://a.test:8080/p'] } }),
            route('/h-append', { append: { headers: ['x-keep:two', 'x-multi:c', 'x-fresh:v'] } }),
            route('/h-order', {
              remove: { headers: ['x-keep'] },
              rename: { headers: ['x-old:x-mid'] },
              replace: { headers: ['x-mid:replaced'] },
              add: { headers: ['x-keep:re-added', 'x-mid:ignored'] },
              append: { headers: ['x-mid:more'] },
            }),
            route('/j-remove', { remove: { json: ['drop', 'absent'] } }),
            route('/j-rename', { rename: { json: ['old:renamed', 'absent:never'] } }),
            route('/j-replace', { replace: { json: ['swap:after', 'absent:x', 'flag:true', 'n:7'], json_types: ['string', 'string', 'boolean', 'number'] } }),
            route('/j-add', {
              add: { json: ['keep:no', 'added:v', 'count:42', 'ok:true', 'bad:abc', 'str:7'], json_types: ['string', 'string', 'number', 'boolean', 'number'] },
            }),
            route('/j-append', { append: { json: ['list:b', 'keep:x', 'fresh:1', 'n:2'], json_types: ['string', 'string', 'number', 'number'] } }),
            route('/j-nested', { remove: { json: ['nested.inner'] }, replace: { json: ['nested.absent:x', 'missing:y'] }, add: { json: ['a.b:1'] } }),
            route('/j-order', {
              remove: { json: ['keep'] },
              rename: { json: ['old:mid'] },
              replace: { json: ['mid:R'] },
              add: { json: ['keep:new', 'mid:ignored'] },
              append: { json: ['mid:A'] },
            }),
            route('/j-types', { remove: { json: ['drop'] }, add: { headers: ['x-seen:1'] } }),
            route('/j-ct-renamed', { rename: { headers: ['content-type:x-original-type'] }, remove: { json: ['drop'] } }),
            route('/j-encoded', { remove: { json: ['drop'] }, add: { headers: ['x-seen:1'] } }),
            // One route per warning kind, so each counts only its own requests' warnings.
            route('/j-br', { remove: { json: ['drop'] } }),
            route('/j-unparsed', { remove: { json: ['drop'] } }),
            route('/stream-headers', { add: { headers: ['x-streamed:yes'] }, remove: { headers: ['x-drop'] } }),
            route('/stream-json', { remove: { json: ['drop'] } }),
            route('/exit', { add: { headers: ['x-added:yes'] }, replace: { headers: ['content-type:application/problem+json'] }, remove: { headers: ['x-kong-response-latency'] } }, [
              { name: 'key-auth', config: {} },
            ]),
          ],
        },
      ],
    },
    { plugins: [responseTransformer] },
  );
});

afterAll(async () => {
  await proxy?.close();
  await listening?.close();
});

describe('response-transformer: headers', () => {
  it('remove drops the header, matching names case-insensitively', async () => {
    const r = await get('/h-remove');
    expect(r.headers['x-drop']).toBeUndefined();
    expect(r.headers['x-keep']).toBe('1');
  });

  it('rename moves the values, all of them, and ignores absent headers', async () => {
    const r = await get('/h-rename');
    expect(r.headers['x-old']).toBeUndefined();
    expect(r.headers['x-new']).toBe('old-value');
    expect(r.headers['x-multi']).toBeUndefined();
    expect(r.headers['x-many']).toBe('a, b');
    expect(r.headers['x-never']).toBeUndefined();
  });

  it('replace changes only headers that are present', async () => {
    const r = await get('/h-replace');
    expect(r.headers['x-replace']).toBe('after');
    expect(r.headers['x-absent']).toBeUndefined();
  });

  it('add sets only absent headers, keeping colons after the first in the value, and leaves the body alone', async () => {
    const r = await get('/h-add');
    expect(r.headers['x-keep']).toBe('1');
    expect(r.headers['x-added']).toBe('yes');
    expect(r.headers['x-url']).toBe('http://a.test:8080/p');
    expect(r.body).toBe(OBJECT_TEXT);
    expect(r.headers['content-length']).toBe(String(OBJECT_TEXT.length));
  });

  it('append adds a value next to existing ones, or the header when absent', async () => {
    const r = await get('/h-append');
    expect(r.headers['x-keep']).toBe('1, two');
    expect(r.headers['x-multi']).toBe('a, b, c');
    expect(r.headers['x-fresh']).toBe('v');
  });

  it('runs remove, rename, replace, add, append in that order, each seeing the previous result', async () => {
    const r = await get('/h-order');
    expect(r.headers['x-keep']).toBe('re-added');
    expect(r.headers['x-old']).toBeUndefined();
    expect(r.headers['x-mid']).toBe('replaced, more');
  });

  it('applies to answers the gateway makes itself (key-auth 401)', async () => {
    const r = await get('/exit');
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toEqual({ message: 'No API key found in request', request_id: expect.any(String) });
    expect(r.headers['x-added']).toBe('yes');
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.headers['x-kong-response-latency']).toBeUndefined();
  });
});

describe('response-transformer: JSON body', () => {
  it('remove drops keys and fixes Content-Length', async () => {
    const r = await get('/j-remove');
    const { drop, ...rest } = OBJECT;
    expect(json(r)).toEqual(rest);
    expectLengthFixed(r, OBJECT_TEXT);
  });

  it('rename moves a key with its value and ignores absent keys', async () => {
    const r = await get('/j-rename');
    const body = json(r);
    expect(body['renamed']).toBe('o');
    expect(body).not.toHaveProperty('old');
    expect(body).not.toHaveProperty('never');
    expectLengthFixed(r, OBJECT_TEXT);
  });

  it('replace changes only present keys, typed by json_types (false counts as present)', async () => {
    const body = json(await get('/j-replace'));
    expect(body['swap']).toBe('after');
    expect(body['flag']).toBe(true);
    expect(body['n']).toBe(7);
    expect(body).not.toHaveProperty('absent');
  });

  it('add sets only absent keys, typed by json_types; a non-number for a number is skipped', async () => {
    const body = json(await get('/j-add'));
    expect(body['keep']).toBe('k');
    expect(body['added']).toBe('v');
    expect(body['count']).toBe(42);
    expect(body['ok']).toBe(true);
    expect(body).not.toHaveProperty('bad');
    expect(body['str']).toBe('7');
  });

  it('append turns a key into an array of old and new values, or a one-element array', async () => {
    const body = json(await get('/j-append'));
    expect(body['list']).toEqual(['a', 'b']);
    expect(body['keep']).toEqual(['k', 'x']);
    expect(body['fresh']).toEqual([1]);
    expect(body['n']).toEqual([1, 2]);
  });

  it('keys are top-level names: a dotted name never reaches into a nested object', async () => {
    const body = json(await get('/j-nested'));
    expect(body['nested']).toEqual({ inner: 'i' });
    expect(body).not.toHaveProperty('nested.absent');
    expect(body).not.toHaveProperty('missing');
    expect(Object.hasOwn(body, 'a.b')).toBe(true);
    expect(body['a.b']).toBe('1');
  });

  it('runs remove, rename, replace, add, append in that order', async () => {
    const body = json(await get('/j-order'));
    expect(body['keep']).toBe('new');
    expect(body).not.toHaveProperty('old');
    expect(body['mid']).toEqual(['R', 'A']);
  });

  it('transforms +json content types', async () => {
    const r = await get('/j-types', 'vnd');
    expect(json(r)).not.toHaveProperty('drop');
    expectLengthFixed(r, OBJECT_TEXT);
  });

  it.each([
    ['a non-JSON content type', 'text', OBJECT_TEXT],
    ['a JSON body that does not parse', 'invalid', INVALID_TEXT],
    ['a JSON body that is not an object', 'array', ARRAY_TEXT],
  ])('leaves the body untouched for %s, and still transforms headers', async (_what, reply, text) => {
    const r = await get('/j-types', reply);
    expect(r.status).toBe(200);
    expect(r.body).toBe(text);
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength(text)));
    expect(r.headers['x-seen']).toBe('1');
  });

  it('decides on the Content-Type the header steps left', async () => {
    const r = await get('/j-ct-renamed');
    expect(r.headers['content-type']).toBeUndefined();
    expect(r.headers['x-original-type']).toBe('application/json');
    expect(r.body).toBe(OBJECT_TEXT);
  });
});

describe('response-transformer: compressed JSON bodies', () => {
  it.each([
    ['gzip', 'gzip', gunzipSync],
    ['zlib deflate', 'deflate', inflateSync],
    ['raw deflate', 'deflate-raw', inflateRawSync],
  ])('inflates a %s body, transforms it and compresses it again the same way', async (_what, reply, inflate) => {
    const r = await getBytes('/j-encoded', reply);
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe(reply.startsWith('deflate') ? 'deflate' : 'gzip');
    expect(r.headers['content-length']).toBe(String(r.body.length));
    const { drop, ...rest } = OBJECT;
    expect(JSON.parse(inflate(r.body).toString())).toEqual(rest);
    expect(r.headers['x-seen']).toBe('1');
  });

  it('sends valid gzip, with the gzip magic bytes', async () => {
    const r = await getBytes('/j-encoded', 'gzip');
    expect([...r.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(r.body.equals(ENCODED.gzip)).toBe(false);
  });

  it('leaves a br body byte for byte, transforms the headers, and warns once per minute, not per request', async () => {
    const before = warnings(/Content-Encoding 'br'/);
    for (let i = 0; i < 3; i++) {
      const r = await getBytes('/j-br', 'br');
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe('br');
      expect(r.body.equals(ENCODED.br)).toBe(true);
    }
    expect(warnings(/Content-Encoding 'br'/) - before).toBe(1);
  });

  it('warns once per minute, not per request, about JSON bodies that do not parse', async () => {
    const before = warnings(/does not parse/);
    for (let i = 0; i < 3; i++) expect((await get('/j-unparsed', 'invalid')).body).toBe(INVALID_TEXT);
    expect(warnings(/does not parse/) - before).toBe(1);
  });

  it('passes on a gzip body that does not inflate unchanged', async () => {
    const r = await getBytes('/j-encoded', 'gzip-corrupt');
    expect(r.status).toBe(200);
    expect(r.body.equals(ENCODED.gzip.subarray(0, 20))).toBe(true);
    expect(warnings(/gzip JSON response body does not decode/)).toBe(1);
  });

  it('does not inflate past 16 MiB: the body goes out as it came', async () => {
    const r = await getBytes('/j-encoded', 'gzip-huge');
    expect(r.status).toBe(200);
    expect(r.body.equals(ENCODED.huge)).toBe(true);
    expect(warnings(/inflates to more than 16777216 bytes/)).toBe(1);
  });

  it('streams a JSON body larger than the proxy holds unchanged, and says so', async () => {
    const r = await getBytes('/j-encoded', 'json-huge');
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(Buffer.byteLength(HUGE_JSON));
    expect(r.body.subarray(0, 12).toString()).toBe('{"drop":"d",');
    expect(warnings(/larger than the proxy holds for plugins/)).toBe(1);
  });
});

describe('response-transformer: streaming', () => {
  interface Streamed {
    firstBeforeSecond: boolean;
    headers: IncomingHttpHeaders;
    body: string;
  }

  /** Records whether the client saw the first chunk before the upstream wrote the second. */
  const streamThrough = (path: string, type?: string): Promise<Streamed> =>
    new Promise((resolve, reject) => {
      const req = request(proxy.url + path, { headers: { 'x-reply': 'stream', ...(type === undefined ? {} : { 'x-type': type }) }, agent: false }, (res) => {
        let firstBeforeSecond: boolean | undefined;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          if (firstBeforeSecond === undefined) {
            firstBeforeSecond = !stream.secondWritten;
            stream.release();
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ firstBeforeSecond: firstBeforeSecond === true, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });

  it('a header-only config does not hold the body: the first chunk arrives before the upstream sends the second', async () => {
    const r = await streamThrough('/stream-headers');
    expect(r.firstBeforeSecond).toBe(true);
    expect(r.headers['x-streamed']).toBe('yes');
    expect(r.headers['x-drop']).toBeUndefined();
    expect(r.body).toBe('{"drop":"d","keep":"k"}');
  });

  it('a config with json steps holds the whole body, then sends the transformed one', async () => {
    const r = await streamThrough('/stream-json');
    expect(r.firstBeforeSecond).toBe(false);
    expect(JSON.parse(r.body)).toEqual({ keep: 'k' });
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength(r.body)));
  });

  it('a config with json steps still streams a response that is not JSON: there is nothing to transform', async () => {
    const r = await streamThrough('/stream-json', 'text/event-stream');
    expect(r.firstBeforeSecond).toBe(true);
    expect(r.body).toBe('{"drop":"d","keep":"k"}');
  });
});

describe('response-transformer: config', () => {
  const withConfig = (config: Record<string, unknown>) => ({
    _format_version: '3.0',
    plugins: [{ name: 'response-transformer', config }],
  });

  it('refuses an entry without a colon, naming the field', () => {
    expect(() => proxy.snapshot(withConfig({ add: { headers: ['no-colon'] } }))).toThrow(/add\.headers/);
  });

  it('refuses an unknown json type, naming the field', () => {
    expect(() => proxy.snapshot(withConfig({ append: { json: ['a:1'], json_types: ['integer'] } }))).toThrow(/append\.json_types/);
  });

  it.each([
    ['an add name that is not a token', { add: { headers: ['x-good:1', 'x served by:gw'] } }, /add\.headers\.1: 'x served by' is not a valid header name/],
    ['a remove name that is not a token', { remove: { headers: ['x-powered-by', 'x powered by'] } }, /remove\.headers\.1: 'x powered by' is not a valid header name/],
    ['a rename target that is not a token', { rename: { headers: ['x-old:x new'] } }, /rename\.headers\.0: 'x new' is not a valid header name/],
    ['a replace value with a control character', { replace: { headers: ['x-a:bad\u0000value'] } }, /replace\.headers\.0: the value of 'x-a' has characters/],
    ['an append value above U+00FF', { append: { headers: ['x-a:5 €'] } }, /append\.headers\.0: the value of 'x-a' has characters/],
  ])('refuses %s, naming the field', (_what, config, message) => {
    expect(() => proxy.snapshot(withConfig(config))).toThrow(message);
  });

  it('accepts header names that are tokens and values node can send', () => {
    expect(() => proxy.snapshot(withConfig({ add: { headers: ["x.a!b#c$d%e&f'g*h+i^j_k`l|m~n:v\tw é"] }, rename: { headers: ['x-a:x.b'] } }))).not.toThrow();
  });

  it('fails closed on a bad header entry that bypassed the schema: the route answers 500, the body is never served', async () => {
    const other = await startProxy(undefined, { plugins: [responseTransformer] });
    try {
      const port = listening!.port;
      const valid = { remove: { json: ['drop'] }, add: { headers: ['x-good:1'] } };
      const snapshot = other.snapshot({
        _format_version: '3.0',
        services: [{ name: 's', url: `http://127.0.0.1:${port}`, routes: [route('/bad', valid), { name: 'open', paths: ['/open'] }] }],
      });
      // As a control plane without the check, or a corrupt cache, could send it.
      const plugins = snapshot.entities.plugins!.map((p) => ({ ...p, config: { ...(p['config'] as object), add: { headers: ['x served by:gw'], json: [], json_types: [] } } }));
      const result = other.dp.apply({ ...snapshot, entities: { ...snapshot.entities, plugins } });
      expect(result.ok).toBe(true);
      expect(result.ok && result.warnings.join('\n')).toMatch(/config\.add\.headers entry 'x served by:gw' cannot be sent: 'x served by' is not a valid header name; the routes it applies to answer 500/);
      const r = await rawRequest(`${other.url}/bad`);
      expect(r.status).toBe(500);
      expect(r.body).not.toContain('"drop"');
      expect((await rawRequest(`${other.url}/open`, { headers: { 'x-reply': 'object' } })).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
