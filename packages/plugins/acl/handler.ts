// acl: allows or denies the authenticated consumer by its ACL groups, and tells the upstream its
// groups in X-Consumer-Groups (kong/plugins/acl/handler.lua). Groups from an external authentication
// (`always_use_authenticated_groups`, X-Authenticated-Groups) are not supported: no plugin sets them.
import type { PluginHandlers } from '@tollgate/plugin-sdk';

export interface AclConfig {
  allow: string[] | null;
  deny: string[] | null;
  hide_groups_header: boolean;
  always_use_authenticated_groups: boolean;
}

export const CONSUMER_GROUPS = 'x-consumer-groups';
export const FORBIDDEN = 'You cannot consume this service';

export const aclHandlers: PluginHandlers<AclConfig> = {
  access(ctx) {
    const { config } = ctx;
    // Never pass on a client's own claim of groups.
    ctx.upstream.removeHeader(CONSUMER_GROUPS);
    const consumer = ctx.consumer;
    if (consumer === undefined) {
      if (ctx.credential !== undefined) return ctx.response.error(403, FORBIDDEN);
      return ctx.response.error(401, 'Unauthorized');
    }
    const groups = ctx.entities.list('acls', 'consumer', consumer.id).map((a) => String(a['group']));
    let blocked: boolean;
    if (config.allow != null) {
      const allow = new Set(config.allow);
      blocked = !groups.some((g) => allow.has(g));
    } else {
      const deny = new Set(config.deny ?? []);
      blocked = groups.some((g) => deny.has(g));
    }
    if (blocked) return ctx.response.error(403, FORBIDDEN);
    if (!config.hide_groups_header && groups.length > 0) ctx.upstream.setHeader(CONSUMER_GROUPS, groups.join(', '));
  },
};
