// correlation-id: gives every request an id in a header (kept when the client sent one), upstream and
// optionally back to the client.
import { randomUUID } from 'node:crypto';
import type { PluginHandlers } from '@tollgate/plugin-sdk';

export interface CorrelationIdConfig {
  header_name: string;
  generator: 'uuid' | 'uuid#counter' | 'tracker';
  echo_downstream: boolean;
}

// Per process, as Kong's is per worker: a UUID fixed at start, then a counter.
const workerUuid = randomUUID();
let counter = 0;

function generate(generator: CorrelationIdConfig['generator'], requestId: string): string {
  if (generator === 'uuid') return randomUUID();
  if (generator === 'uuid#counter') return `${workerUuid}#${++counter}`;
  return requestId;
}

const ID_KEY = 'correlation-id';

export const correlationIdHandlers: PluginHandlers<CorrelationIdConfig> = {
  access(ctx) {
    const name = ctx.config.header_name.toLowerCase();
    let id = ctx.request.header(name);
    if (id === undefined || id === '') {
      id = generate(ctx.config.generator, ctx.requestId);
      ctx.upstream.setHeader(name, id);
    }
    ctx.shared.set(ID_KEY, id);
  },
  response(ctx) {
    if (!ctx.config.echo_downstream) return;
    const id = ctx.shared.get(ID_KEY);
    if (typeof id === 'string') ctx.response.setHeader(ctx.config.header_name, id);
  },
};
