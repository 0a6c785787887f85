// file-log: appends each request's log entry as one JSON line to a file (kong/plugins/file-log/handler.lua).
// Files are opened once (one append stream per path, as Kong caches one fd per path) and reopened on
// SIGUSR1, so log rotation works: rename the file, signal the process, new lines go to a new file.
// With `reopen: true` the file is opened and closed for every line, as Kong does.
import { appendFile, createWriteStream, type WriteStream } from 'node:fs';
import type { Logger, PluginHandlers } from '@tollgate/plugin-sdk';
import { markAccess, markResponse, serialize } from '../http-log/serializer.ts';

export interface FileLogConfig {
  path: string;
  reopen: boolean;
}

/** Open append streams, by path. */
export const openFiles = new Map<string, WriteStream>();

let signalInstalled = false;

/** Closes every open file; the next line written to a path opens it again (creating it if needed). */
export function reopenAll(): void {
  for (const [path, stream] of openFiles) {
    openFiles.delete(path);
    stream.end();
  }
}

function installSignal(): void {
  if (signalInstalled) return;
  signalInstalled = true;
  // A SIGUSR1 listener also stops Node from starting its inspector on that signal.
  process.on('SIGUSR1', reopenAll);
}

function streamFor(path: string, log: Logger): WriteStream {
  let stream = openFiles.get(path);
  if (stream === undefined) {
    installSignal();
    const created = createWriteStream(path, { flags: 'a', mode: 0o644 });
    created.on('error', (err) => {
      if (openFiles.get(path) === created) openFiles.delete(path);
      log.error('file-log failed to write', { path, error: err.message });
    });
    openFiles.set(path, created);
    stream = created;
  }
  return stream;
}

export function prepareFileLog(raw: Record<string, unknown>): FileLogConfig {
  return { path: String(raw['path']), reopen: raw['reopen'] === true };
}

export const fileLogHandlers: PluginHandlers<FileLogConfig> = {
  access(ctx) {
    markAccess(ctx);
  },
  response(ctx) {
    markResponse(ctx);
  },
  log(ctx) {
    const line = `${JSON.stringify(serialize(ctx))}\n`;
    const { path, reopen } = ctx.config;
    if (reopen) {
      appendFile(path, line, { mode: 0o644 }, (err) => {
        if (err !== null) ctx.log.error('file-log failed to write', { path, error: err.message });
      });
      return;
    }
    streamFor(path, ctx.log).write(line);
  },
};
