// Runs the real `tollgate` command as a child process, the way a user does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
export { freePort } from './pg-cluster.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TOLLGATE_BIN = fileURLToPath(new URL('../../packages/cli/bin/tollgate.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment without TOLLGATE_* settings from the caller, so tests say exactly what they set. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TOLLGATE_')) env[k] = v;
  return { ...env, ...extra };
}

export function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TOLLGATE_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tollgate ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningNode {
  child: ChildProcess;
  output: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `tollgate start …` and waits until `readyUrl` answers 200. */
export async function startNode(args: string[], readyUrl: string, env: Record<string, string> = {}, cwd = REPO_ROOT): Promise<RunningNode> {
  const child = spawn(process.execPath, [TOLLGATE_BIN, 'start', ...args], { cwd, env: cleanEnv(env) });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tollgate start exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(readyUrl, { headers: env['TOLLGATE_ADMIN_TOKEN'] ? { authorization: `Bearer ${env['TOLLGATE_ADMIN_TOKEN']}` } : {} });
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tollgate start did not become ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A DB-less data plane's start arguments: the config written as JSON into a new temp folder (also its prefix). */
export function dbLessArgs(config: Record<string, unknown>, proxyListen: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-dbless-'));
  const file = join(dir, 'kong.json');
  writeFileSync(file, JSON.stringify(config));
  return ['--role', 'data_plane', '--declarative-config', file, '--prefix', dir, '--proxy-listen', proxyListen, '--status-listen', 'off'];
}
