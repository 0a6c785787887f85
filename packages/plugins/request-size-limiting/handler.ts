// request-size-limiting: refuses bodies over a size (413), and optionally bodies without a
// Content-Length (411). Chunked bodies are counted as they are read.
import type { PluginHandlers } from '@tollgate/plugin-sdk';

export interface RequestSizeLimitingConfig {
  /** The limit in bytes, computed once from allowed_payload_size and size_unit. */
  limitBytes: number;
  require_content_length: boolean;
}

const UNIT: Record<string, number> = { bytes: 1, kilobytes: 1024, megabytes: 1024 * 1024 };

export function prepareRequestSizeLimiting(config: Record<string, unknown>): RequestSizeLimitingConfig {
  return {
    limitBytes: (config['allowed_payload_size'] as number) * (UNIT[config['size_unit'] as string] ?? UNIT['megabytes']!),
    require_content_length: config['require_content_length'] === true,
  };
}

const TOO_LARGE = 'Request size limit exceeded';

export const requestSizeLimitingHandlers: PluginHandlers<RequestSizeLimitingConfig> = {
  async access(ctx) {
    const { limitBytes } = ctx.config;
    const declared = ctx.request.contentLength;
    if (declared !== undefined && !Number.isNaN(declared)) {
      if (declared > limitBytes) ctx.response.error(413, TOO_LARGE);
      return;
    }
    const chunked = ctx.request.header('transfer-encoding') !== undefined;
    if (ctx.config.require_content_length && chunked) {
      ctx.response.error(411, 'A valid Content-Length header is required');
      return;
    }
    if (chunked && (await ctx.request.body()).length > limitBytes) ctx.response.error(413, TOO_LARGE);
  },
};
