// One-line log records on stderr: `level message {fields}`. Plugins and the proxy log through this.
import type { Logger } from '@tollgate/plugin-sdk';

export function consoleLogger(tag: string): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${new Date().toISOString()} ${level} [${tag}] ${message}${fields === undefined ? '' : ' ' + JSON.stringify(fields)}\n`);
  return {
    debug: () => {},
    info: (m, f) => line('info', m, f),
    warn: (m, f) => line('warn', m, f),
    error: (m, f) => line('error', m, f),
  };
}
