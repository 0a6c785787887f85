// @tollgate/schema/declarative: Kong declarative config (format 3.0; 1.1 and 2.1 migrated on load). Pure: no I/O.
export { parseDeclarativeText } from './parse.ts';
export { loadDeclarative, type DeclarativeConfig, type LoadOptions } from './load.ts';
export { exportDeclarative, toJson, toYaml, type ExportOptions } from './export.ts';
export { declarativeId, KONG_DECLARATIVE_NAMESPACE } from './ids.ts';
export { migratePath, FORMAT_VERSIONS, type FormatVersion } from './migrate.ts';
export type { FlattenedEntityError } from './errors.ts';
