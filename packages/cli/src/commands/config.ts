// `tollgate config validate|import|export`: Kong declarative files against the store or a running Admin API.
import { readFileSync, writeFileSync } from 'node:fs';
import { KongError } from '@tollgate/schema';
import { toJson, toYaml } from '@tollgate/schema/declarative';
import { exportConfig, importConfig, validateConfig } from '@tollgate/control-plane';
import { assertMigrated, migrateUp } from '@tollgate/control-plane/store';
import { createPreparer, openNodeStore } from '../context.ts';
import { UsageError, type Options } from '../options.ts';

export async function config(options: Options): Promise<number> {
  const [, action, file] = options.positionals;
  switch (action) {
    case 'validate':
      return validate(options, requireFile(file, 'validate'));
    case 'import':
      return importFile(options, requireFile(file, 'import'));
    case 'export':
      return exportTo(options, file);
    default:
      throw new UsageError('usage: tollgate config validate|import|export FILE');
  }
}

function requireFile(file: string | undefined, action: string): string {
  if (file === undefined) throw new UsageError(`usage: tollgate config ${action} FILE`);
  return file;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function report(err: unknown): number {
  if (!(err instanceof KongError)) throw err;
  console.error(err.message);
  const flattened = (err.extra?.['flattened_errors'] ?? []) as Array<{ entity_type: string; entity_name?: string; entity_id?: string; errors: Array<{ field?: string; message: string }> }>;
  for (const e of flattened) {
    const who = `${e.entity_type}${e.entity_name !== undefined ? ` '${e.entity_name}'` : e.entity_id !== undefined ? ` ${e.entity_id}` : ''}`;
    for (const m of e.errors) console.error(`  - ${who}: ${m.field !== undefined ? `${m.field}: ` : ''}${m.message}`);
  }
  return 1;
}

async function validate(options: Options, file: string): Promise<number> {
  const preparer = await createPreparer(options);
  try {
    const cfg = validateConfig(readText(file), preparer);
    const counts = Object.entries(cfg.entities).filter(([, v]) => v.length > 0).map(([k, v]) => `${v.length} ${k}`);
    console.log(`${file} is valid: ${counts.join(', ') || 'no entities'}`);
    return 0;
  } catch (err) {
    return report(err);
  }
}

async function importFile(options: Options, file: string): Promise<number> {
  const text = readText(file);
  if (options.admin_url !== undefined) return viaAdmin(options, 'POST', text);
  const preparer = await createPreparer(options);
  let cfg;
  try {
    cfg = validateConfig(text, preparer);
  } catch (err) {
    return report(err);
  }
  const opened = await openNodeStore(options);
  try {
    if (opened.db.kind === 'pglite') await migrateUp(opened.db);
    else await assertMigrated(opened.db);
    const result = await importConfig(opened.store, cfg);
    const counts = Object.entries(result.counts).filter(([, n]) => (n ?? 0) > 0).map(([k, n]) => `${n} ${k}`);
    console.log(`imported ${file} into ${opened.location} (config version ${result.version}): ${counts.join(', ') || 'empty config'}`);
    return 0;
  } finally {
    await opened.close();
  }
}

async function exportTo(options: Options, file: string | undefined): Promise<number> {
  let doc: Record<string, unknown>;
  if (options.admin_url !== undefined) {
    const res = await adminFetch(options, 'GET', '/config?format=json' + (options.nest === 'true' ? '&nest=true' : ''));
    doc = (await res.json()) as Record<string, unknown>;
  } else {
    const opened = await openNodeStore(options);
    try {
      await assertMigrated(opened.db);
      doc = await exportConfig(opened.store, { nest: options.nest === 'true' });
    } finally {
      await opened.close();
    }
  }
  const text = file !== undefined && file.endsWith('.json') ? toJson(doc) : toYaml(doc);
  if (file === undefined) process.stdout.write(text);
  else {
    writeFileSync(file, text);
    console.log(`exported to ${file}`);
  }
  return 0;
}

async function adminFetch(options: Options, method: string, path: string, body?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/yaml' };
  if (options.admin_token !== undefined) headers['authorization'] = `Bearer ${options.admin_token}`;
  const res = await fetch(new URL(path, options.admin_url), { method, headers, ...(body !== undefined ? { body } : {}) });
  if (!res.ok) {
    const text = await res.text();
    throw new UsageError(`Admin API at ${options.admin_url} answered ${res.status}: ${text}`);
  }
  return res;
}

async function viaAdmin(options: Options, method: string, text: string): Promise<number> {
  const res = await adminFetch(options, method, '/config', text);
  console.log(JSON.stringify(await res.json()));
  return 0;
}
