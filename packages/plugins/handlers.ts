// The bundled plugins with their runtime (schema + handlers), for data planes. Plugins without a
// handler yet are accepted by the Admin API (schemas.ts) but not run: the data plane reports them.
import type { PluginDefinition } from '@tollgate/plugin-sdk';
import correlationId from './correlation-id/index.ts';
import requestSizeLimiting from './request-size-limiting/index.ts';

export const bundledPlugins: readonly PluginDefinition[] = [correlationId, requestSizeLimiting];
