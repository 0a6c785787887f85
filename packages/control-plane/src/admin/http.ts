// Request/response plumbing for the Admin API: JSON replies, body reading with limits, error mapping.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KongError } from '@tollgate/schema';
import { StoreUnavailableError } from '../store/index.ts';
import { decodeForm } from './form.ts';

/** An HTTP-level failure with a plain `{message}` body, like Kong's endpoint errors. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string> | undefined;
  constructor(status: number, message: string, headers?: Record<string, string>) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export const notFound = (): HttpError => new HttpError(404, 'Not found');

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(payload === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export interface Logger {
  error(message: string, err?: unknown): void;
  info(message: string): void;
}

/** Turns any thrown value into a response: Kong errors keep their shape, unknown ones become a logged 500. */
export function sendError(res: ServerResponse, err: unknown, log: Logger): void {
  if (err instanceof KongError) return sendJson(res, err.status, err.toBody());
  if (err instanceof HttpError) return sendJson(res, err.status, { message: err.message }, err.headers);
  if (err instanceof StoreUnavailableError) {
    return sendJson(res, 503, { message: err.message }, { 'retry-after': '5' });
  }
  log.error('unexpected error in Admin API request', err);
  sendJson(res, 500, { message: 'An unexpected error occurred' });
}

export type BodyKind = 'json' | 'form' | 'yaml' | 'empty';

export interface ParsedBody {
  kind: BodyKind;
  value: Record<string, unknown>;
  /** The raw text, for endpoints (like /config) that parse it themselves. */
  text: string;
}

/** Reads the whole body, refusing more than `limit` bytes with 413 before buffering it all. */
export async function readText(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `Payload too large: the limit is ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `Payload too large: the limit is ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON or form-encoded body; YAML is accepted only where `allowYaml` is set. */
export async function readBody(req: IncomingMessage, limit: number, allowYaml = false): Promise<ParsedBody> {
  const text = await readText(req, limit);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (text.trim() === '') return { kind: 'empty', value: {}, text };
  if (type === 'application/json' || type === '' || type.endsWith('+json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (type === '' && allowYaml) return { kind: 'yaml', value: {}, text };
      throw new HttpError(400, 'Cannot parse JSON body');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'Cannot parse JSON body: expected a JSON object');
    return { kind: 'json', value: value as Record<string, unknown>, text };
  }
  if (type === 'application/x-www-form-urlencoded') return { kind: 'form', value: decodeForm(text), text };
  if (allowYaml && (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml' || type === 'text/plain')) {
    return { kind: 'yaml', value: {}, text };
  }
  throw new HttpError(415, `Unsupported Content-Type '${type}': send application/json or application/x-www-form-urlencoded${allowYaml ? ' (or YAML)' : ''}`);
}
