// Kong's error body negotiation (kong/tools/http.lua get_response_type, get_mime_type) and templates.
import { describe, expect, it } from 'vitest';
import { errorBody, errorDefaultFormat, negotiateErrorFormat } from './error-format.ts';

describe('negotiateErrorFormat', () => {
  it.each([
    ['application/json', 'json'],
    ['text/plain', 'plain'],
    ['text/html', 'html'],
    ['application/xml', 'xml'],
    ['*/*', 'json'],
    ['text/*', 'plain'],
    ['application/*', 'json'],
    ['image/png', 'json'],
    ['image/*', 'json'],
    ['TEXT/HTML', 'html'],
    ['text/html; charset=utf-8', 'html'],
    // A browser's: the first of the highest weight wins.
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'html'],
    ['application/json;q=0.5, text/html;q=0.9', 'html'],
    ['text/plain;q=0.8, application/xml;q=0.8', 'plain'],
    ['application/xml;q=0', 'json'],
    ['not a media type, text/plain', 'plain'],
    ['', 'json'],
  ])('Accept: %s → %s', (accept, format) => {
    expect(negotiateErrorFormat(accept, undefined, 'plain')).toBe(format);
  });

  it('uses Content-Type when there is no Accept, and the default when there is neither', () => {
    expect(negotiateErrorFormat(undefined, 'application/json', 'plain')).toBe('json');
    expect(negotiateErrorFormat(undefined, 'application/x-www-form-urlencoded', 'plain')).toBe('json');
    expect(negotiateErrorFormat(undefined, 'text/plain; charset=utf-8', 'json')).toBe('plain');
    expect(negotiateErrorFormat(undefined, undefined, 'plain')).toBe('plain');
    expect(negotiateErrorFormat(undefined, undefined, 'html')).toBe('html');
    expect(negotiateErrorFormat('text/html', 'application/json', 'plain')).toBe('html');
  });

  it('reads repeated Accept headers as one list', () => {
    expect(negotiateErrorFormat(['text/plain;q=0.2', 'application/xml'], undefined, 'plain')).toBe('xml');
  });
});

describe('errorBody', () => {
  it("lays out each format as Kong's templates do", () => {
    expect(errorBody('json', 'no Route matched with those values', 'abc')).toEqual({
      contentType: 'application/json; charset=utf-8',
      body: '{\n  "message":"no Route matched with those values",\n  "request_id":"abc"\n}',
    });
    expect(errorBody('plain', 'Unauthorized', 'abc')).toEqual({ contentType: 'text/plain; charset=utf-8', body: 'Unauthorized\nrequest_id: abc\n' });
    expect(errorBody('html', 'Unauthorized', 'abc').body).toContain('<p>Unauthorized.</p>\n    <p>request_id: abc</p>');
    expect(errorBody('xml', 'Unauthorized', 'abc').body).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>Unauthorized</message>\n  <requestid>abc</requestid>\n</error>\n');
  });

  it('escapes the message for the format: a message carrying markup or quotes cannot break out of it', () => {
    const message = 'IP address not allowed: <b>"x" & \'y\'</b>';
    expect(JSON.parse(errorBody('json', message, 'r').body)).toEqual({ message, request_id: 'r' });
    expect(errorBody('html', message, 'r').body).toContain('<p>IP address not allowed: &#60;b&#62;&#34;x&#34; &#38; &#39;y&#39;&#60;/b&#62;.</p>');
    expect(errorBody('xml', message, 'r').body).not.toContain('<b>');
  });
});

describe('errorDefaultFormat', () => {
  it("takes kong.conf's error_default_type values and refuses others by name", () => {
    expect(errorDefaultFormat('text/plain')).toBe('plain');
    expect(errorDefaultFormat('application/json')).toBe('json');
    expect(errorDefaultFormat('text/html')).toBe('html');
    expect(errorDefaultFormat('application/xml')).toBe('xml');
    expect(() => errorDefaultFormat('application/yaml')).toThrow("error_default_type: 'application/yaml' is not one of text/plain, application/json, text/html, application/xml");
  });
});
