// The first schema: one table per entity, the config version, the changelog and the trigger that
// keeps them honest. Shipped migrations never change; later changes go in a new numbered file.
//
// Every entity table: id, the whole record as the API shows it (data), tags (GIN), and a column per
// unique field and per foreign key (`<field>_id`), so Postgres enforces uniqueness and references.
import type { Migration } from './index.ts';

const entityTable = (name: string, columns: string[] = []): string => `
CREATE TABLE "${name}" (
  "id" uuid PRIMARY KEY,
  "data" jsonb NOT NULL,
  "tags" text[]${columns.map((c) => `,\n  ${c}`).join('')}
);
CREATE INDEX "${name}_tags_idx" ON "${name}" USING gin ("tags");
CREATE TRIGGER "${name}_changelog" AFTER INSERT OR UPDATE OR DELETE ON "${name}"
  FOR EACH ROW EXECUTE FUNCTION "tollgate_record_change"();`;

const fkIndex = (table: string, column: string): string => `CREATE INDEX "${table}_${column}_idx" ON "${table}" ("${column}");`;

const up = `
CREATE TABLE "tollgate_config_state" (
  "singleton" boolean PRIMARY KEY DEFAULT true CHECK ("singleton"),
  "version" bigint NOT NULL
);
INSERT INTO "tollgate_config_state" ("version") VALUES (0);

CREATE TABLE "tollgate_changelog" (
  "version" bigint NOT NULL,
  "entity" text NOT NULL,
  "entity_id" uuid NOT NULL,
  "op" text NOT NULL CHECK ("op" IN ('insert', 'update', 'delete')),
  PRIMARY KEY ("version", "entity", "entity_id")
);

-- The first row change of a transaction bumps the version (the UPDATE's row lock also serializes
-- writers), remembers it transaction-locally and NOTIFYs (delivered on COMMIT, dropped on ROLLBACK).
-- current_setting(.., true) is NULL before the setting was ever made in this session and '' after a
-- transaction that made it ended, so both mean "not yet bumped in this transaction".
CREATE FUNCTION "tollgate_record_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tx_version text := current_setting('tollgate.tx_version', true);
  v bigint;
  row_id uuid;
BEGIN
  IF tx_version IS NULL OR tx_version = '' THEN
    UPDATE "tollgate_config_state" SET "version" = "version" + 1 RETURNING "version" INTO v;
    PERFORM set_config('tollgate.tx_version', v::text, true);
    PERFORM pg_notify('tollgate_config', v::text);
  ELSE
    v := tx_version::bigint;
  END IF;
  IF TG_OP = 'DELETE' THEN row_id := OLD."id"; ELSE row_id := NEW."id"; END IF;
  INSERT INTO "tollgate_changelog" ("version", "entity", "entity_id", "op")
    VALUES (v, TG_TABLE_NAME, row_id, lower(TG_OP))
    ON CONFLICT ("version", "entity", "entity_id") DO UPDATE SET "op" = EXCLUDED."op";
  RETURN NULL;
END
$$;
${entityTable('certificates')}
${entityTable('snis', [
  '"name" text CONSTRAINT "snis_name_key" UNIQUE',
  '"certificate_id" uuid REFERENCES "certificates" ("id") ON DELETE CASCADE',
])}
${fkIndex('snis', 'certificate_id')}
${entityTable('ca_certificates', ['"cert_digest" text CONSTRAINT "ca_certificates_cert_digest_key" UNIQUE'])}
${entityTable('services', [
  '"name" text CONSTRAINT "services_name_key" UNIQUE',
  '"client_certificate_id" uuid REFERENCES "certificates" ("id") ON DELETE RESTRICT',
])}
${fkIndex('services', 'client_certificate_id')}
${entityTable('routes', [
  '"name" text CONSTRAINT "routes_name_key" UNIQUE',
  '"service_id" uuid REFERENCES "services" ("id") ON DELETE RESTRICT',
])}
${fkIndex('routes', 'service_id')}
${entityTable('consumers', [
  '"username" text CONSTRAINT "consumers_username_key" UNIQUE',
  '"custom_id" text CONSTRAINT "consumers_custom_id_key" UNIQUE',
])}
${entityTable('upstreams', [
  '"name" text CONSTRAINT "upstreams_name_key" UNIQUE',
  '"client_certificate_id" uuid REFERENCES "certificates" ("id") ON DELETE RESTRICT',
])}
${fkIndex('upstreams', 'client_certificate_id')}
${entityTable('targets', [
  '"upstream_id" uuid REFERENCES "upstreams" ("id") ON DELETE CASCADE',
  '"target" text',
  'CONSTRAINT "targets_upstream_id_target_key" UNIQUE ("upstream_id", "target")',
])}
${entityTable('keyauth_credentials', [
  '"key" text CONSTRAINT "keyauth_credentials_key_key" UNIQUE',
  '"consumer_id" uuid REFERENCES "consumers" ("id") ON DELETE CASCADE',
])}
${fkIndex('keyauth_credentials', 'consumer_id')}
${entityTable('basicauth_credentials', [
  '"username" text CONSTRAINT "basicauth_credentials_username_key" UNIQUE',
  '"consumer_id" uuid REFERENCES "consumers" ("id") ON DELETE CASCADE',
])}
${fkIndex('basicauth_credentials', 'consumer_id')}
${entityTable('jwt_secrets', [
  '"key" text CONSTRAINT "jwt_secrets_key_key" UNIQUE',
  '"consumer_id" uuid REFERENCES "consumers" ("id") ON DELETE CASCADE',
])}
${fkIndex('jwt_secrets', 'consumer_id')}
${entityTable('acls', [
  '"consumer_id" uuid REFERENCES "consumers" ("id") ON DELETE CASCADE',
  '"group" text',
  'CONSTRAINT "acls_consumer_id_group_key" UNIQUE ("consumer_id", "group")',
])}
${entityTable('plugins', [
  '"instance_name" text CONSTRAINT "plugins_instance_name_key" UNIQUE',
  '"name" text',
  '"route_id" uuid REFERENCES "routes" ("id") ON DELETE CASCADE',
  '"service_id" uuid REFERENCES "services" ("id") ON DELETE CASCADE',
  '"consumer_id" uuid REFERENCES "consumers" ("id") ON DELETE CASCADE',
  // One plugin of a name per scope; a NULL scope (global) must clash with another NULL scope.
  'CONSTRAINT "plugins_scope_key" UNIQUE NULLS NOT DISTINCT ("name", "route_id", "service_id", "consumer_id")',
])}
${fkIndex('plugins', 'route_id')}
${fkIndex('plugins', 'service_id')}
${fkIndex('plugins', 'consumer_id')}
`;

export const migration: Migration = { id: '001_initial', up };
