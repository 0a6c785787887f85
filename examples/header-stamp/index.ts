// An example plugin, written against @tollgate/plugin-sdk only: stamps a header on the request sent
// upstream and on the response, and refuses requests without a required header.
//
// config:
//   header_name   header to stamp (default X-Stamp)
//   value         the value to stamp
//   require       optional header the client must send, else 400
import { Type } from '@sinclair/typebox';
import { definePlugin, definePluginSchema } from '@tollgate/plugin-sdk';

export const schema = definePluginSchema({
  name: 'header-stamp',
  version: '1.0.0',
  // Runs after authentication (key-auth is 1250) and before rate limiting (910).
  priority: 1000,
  config: Type.Object(
    {
      header_name: Type.String({ default: 'X-Stamp', description: 'Header added upstream and to the response.' }),
      value: Type.String({ minLength: 1, description: 'Value of the header.' }),
      require: Type.Optional(Type.String({ description: 'A request header the client must send; 400 without it.' })),
    },
    { additionalProperties: false },
  ),
});

interface Config {
  header_name: string;
  value: string;
  require: string | null;
}

export default definePlugin<Config>({
  schema,
  handlers: {
    access(ctx) {
      const required = ctx.config.require;
      if (required !== null && ctx.request.header(required) === undefined) {
        return ctx.response.exit(400, { message: `missing header ${required}` });
      }
      ctx.upstream.setHeader(ctx.config.header_name, ctx.config.value);
    },
    response(ctx) {
      ctx.response.setHeader(ctx.config.header_name, ctx.config.value);
    },
    log(ctx) {
      ctx.log.info('stamped', { path: ctx.request.path, status: ctx.response.status });
    },
  },
});
