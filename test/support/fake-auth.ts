// A stand-in authentication plugin for tests of plugins that act per consumer: it authenticates the
// consumer whose username is in the X-User header (priority 1500, before every bundled plugin).
import { Type } from '@sinclair/typebox';
import { definePlugin, definePluginSchema } from '@tollgate/plugin-sdk';

export const fakeAuth = definePlugin({
  schema: definePluginSchema({ name: 'test-auth', version: '1.0.0', priority: 1500, config: Type.Object({}, { additionalProperties: false }) }),
  handlers: {
    access(ctx) {
      const user = ctx.request.header('x-user');
      if (user === undefined) return;
      const consumer = ctx.entities.find('consumers', 'username', user);
      if (consumer !== undefined) ctx.authenticate(consumer as never);
    },
  },
});
