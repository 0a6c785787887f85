// The body of an error the gateway (or a plugin, with `ctx.response.error`) answers with, in the format
// the client asks for, as Kong's kong.response.error does (kong/tools/http.lua): chosen by Accept
// (highest q first, the first of equals), or by Content-Type when there is no Accept, or else by
// kong.conf's `error_default_type` (text/plain by default). Unknown types and `*/*` get JSON.

import type { IncomingHttpHeaders } from 'node:http';

export type ErrorFormat = 'json' | 'plain' | 'html' | 'xml';

const CONTENT_TYPES: Record<ErrorFormat, string> = {
  json: 'application/json; charset=utf-8',
  plain: 'text/plain; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
};

/** Media types (and `type/*` ranges) with their format; anything else is JSON. */
const BY_MEDIA_TYPE: Record<string, ErrorFormat> = {
  'application/json': 'json',
  'text/plain': 'plain',
  'text/html': 'html',
  'application/xml': 'xml',
  'application/*': 'json',
  'text/*': 'plain',
};

/** kong.conf `error_default_type` values. */
export const ERROR_DEFAULT_TYPES: Record<string, ErrorFormat> = {
  'text/plain': 'plain',
  'application/json': 'json',
  'text/html': 'html',
  'application/xml': 'xml',
};

/** The format of `error_default_type` (a media type); throws naming the accepted values. */
export function errorDefaultFormat(mediaType: string): ErrorFormat {
  const format = ERROR_DEFAULT_TYPES[mediaType.trim().toLowerCase()];
  if (format === undefined) throw new Error(`error_default_type: '${mediaType}' is not one of ${Object.keys(ERROR_DEFAULT_TYPES).join(', ')}`);
  return format;
}

// type/subtype, then parameters, of which q (0 to 1, up to three decimals) is the weight.
const MEDIA_RANGE = /^((?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*)\/(?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*))((?:\s*;\s*[^;]*)*)$/i;
const Q_PARAM = /;\s*q\s*=\s*(1(?:\.0{0,3})?|0(?:\.\d{0,3})?)\s*(?=;|$)/i;

/** The format for a request with these headers (`headers.accept`, then `headers['content-type']`, then `fallback`). */
export function negotiateErrorFormat(accept: string | string[] | undefined, contentType: string | string[] | undefined, fallback: ErrorFormat): ErrorFormat {
  const header = accept ?? contentType;
  if (header === undefined) return fallback;
  let best: ErrorFormat = 'json';
  let bestQ = 0;
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const m = MEDIA_RANGE.exec(part.trim());
    if (m === null) continue;
    const q = Number(Q_PARAM.exec(m[2]!)?.[1] ?? 1);
    if (q <= bestQ) continue;
    bestQ = q;
    best = BY_MEDIA_TYPE[m[1]!.toLowerCase()] ?? 'json';
  }
  return best;
}

/** The error answer to a request with these headers: the format it asks for (else `fallback`), laid out by `errorBody`. */
export function errorAnswer(headers: IncomingHttpHeaders, fallback: ErrorFormat, message: string, requestId: string): { contentType: string; body: string } {
  return errorBody(negotiateErrorFormat(headers.accept, headers['content-type'], fallback), message, requestId);
}

const escapeMarkup = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Content-Type and body of an error answer, as Kong's templates lay them out. */
export function errorBody(format: ErrorFormat, message: string, requestId: string): { contentType: string; body: string } {
  let body: string;
  switch (format) {
    case 'json':
      body = `{\n  "message":${JSON.stringify(message)},\n  "request_id":"${requestId}"\n}`;
      break;
    case 'plain':
      body = `${message}\nrequest_id: ${requestId}\n`;
      break;
    case 'html':
      body = `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${escapeMarkup(message)}.</p>\n    <p>request_id: ${requestId}</p>\n  </body>\n</html>\n`;
      break;
    case 'xml':
      body = `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${escapeMarkup(message)}</message>\n  <requestid>${requestId}</requestid>\n</error>\n`;
      break;
  }
  return { contentType: CONTENT_TYPES[format], body };
}
