// @tollgate/schema: entity definitions, validation and Kong-shaped errors. Pure: no I/O.
export * from './errors.ts';
export * from './uuid.ts';
export * from './fields.ts';
export * from './entity.ts';
export * from './validate.ts';
export * from './plugin-schema.ts';
export * from './prepare.ts';
export * from './registry.ts';
export { compileRegex, type CompiledRegex, type RegexError } from './route-regex.ts';
