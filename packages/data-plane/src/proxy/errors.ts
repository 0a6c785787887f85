// Responses the gateway produces itself, with Kong's stock messages (kong/error_handlers.lua).
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ExitResponse } from '../plugins/context.ts';
import { errorAnswer } from './error-format.ts';
import type { KongHeaders } from './kong-headers.ts';

export const MESSAGES = {
  noRoute: 'no Route matched with those values',
  noService: 'no Service found with those values',
  badGateway: 'An invalid response was received from the upstream server',
  unavailable: 'The upstream server is currently unavailable',
  noPeer: 'failure to get a peer from the ring-balancer',
  dnsFailed: 'name resolution failed',
  timeout: 'The upstream server is timing out',
  unexpected: 'An unexpected error occurred',
  notReady: 'no configuration loaded yet: this data plane has not received a valid config',
  tooLarge: 'Payload too large',
} as const;

/**
 * Writes the message and request id in the format the request asks for (JSON, text, HTML or XML; see
 * error-format.ts) with the status and the Kong headers `kong` turns on (with `startedAt`,
 * X-Kong-Response-Latency), unless the response has already started.
 */
export function sendError(res: ServerResponse, kong: KongHeaders, status: number, message: string, requestId: string, extraHeaders?: Record<string, string>, startedAt?: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { contentType, body } = errorAnswer(res.req.headers, kong.errorDefault, message, requestId);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...kong.forAnswer(requestId, startedAt),
    ...extraHeaders,
  });
  res.end(body);
}

/** The headers and body of a response a plugin answered with (`ctx.response.exit`): objects go out as JSON. */
export function exitResponse(exit: ExitResponse, base: OutgoingHttpHeaders): { headers: OutgoingHttpHeaders; body: string | Buffer } {
  const headers: OutgoingHttpHeaders = { ...base };
  let body: string | Buffer = '';
  if (exit.body !== undefined && exit.body !== null) {
    if (typeof exit.body === 'string' || Buffer.isBuffer(exit.body)) body = exit.body;
    else {
      body = JSON.stringify(exit.body);
      headers['content-type'] = 'application/json; charset=utf-8';
    }
  }
  for (const [k, v] of Object.entries(exit.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  return { headers, body };
}
