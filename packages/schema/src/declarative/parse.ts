// Reads declarative config text, YAML or JSON, into plain data. Syntax errors say where they are.
import { LineCounter, parseDocument } from 'yaml';
import { KongError } from '../errors.ts';

function invalid(message: string): KongError {
  return new KongError('INVALID_DECLARATIVE_CONFIG', `failed parsing declarative configuration: ${message}`);
}

/**
 * Parses a declarative file, YAML (1.2, merge keys allowed) or JSON.
 * Throws KongError INVALID_DECLARATIVE_CONFIG naming the line and column of a syntax error.
 * @example parseDeclarativeText('_format_version: "3.0"\nservices: []') // { _format_version: '3.0', services: [] }
 */
export function parseDeclarativeText(text: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not strict JSON: YAML flow syntax is a superset, and reports positions.
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw invalid(`${error.message.replace(/\.$/, '')} (line ${line}, column ${col})`);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}
