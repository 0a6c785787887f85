// The primary's bookkeeping of configs sent to proxy workers: what a worker is given when it (re)starts,
// and when a publish counts as applied. Workers here are names; `sent` records what each was given.
import { describe, expect, it } from 'vitest';
import type { ConfigSnapshot } from '@tollgate/data-plane';
import { ConfigRollout, type PublishResult } from './rollout.ts';

const config = (version: number): ConfigSnapshot => ({ version, entities: {} });

function setup(timeoutMs?: number) {
  const sent: Array<[string, number]> = [];
  const rollout = new ConfigRollout<string>((worker, snapshot) => sent.push([worker, snapshot.version]), timeoutMs);
  return { rollout, sent };
}

/** The publish's result, or 'pending' if it has not settled by the next macrotask. */
async function state(p: Promise<PublishResult>): Promise<PublishResult | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 0))]);
}

describe('ConfigRollout', () => {
  it('settles a publish once every ready worker applied it, and gives that config to a worker that starts later', async () => {
    const { rollout, sent } = setup();
    rollout.ready('a');
    rollout.ready('b');
    const p = rollout.publish(config(5));
    expect(sent).toEqual([['a', 5], ['b', 5]]);
    rollout.applied('a', 5);
    expect(await state(p)).toBe('pending');
    rollout.applied('b', 5);
    expect(await state(p)).toMatchObject({ ok: true });
    rollout.ready('c');
    expect(sent.at(-1)).toEqual(['c', 5]);
  });

  it('refuses a publish at the first refusal, and never gives a refused config to a restarted worker', async () => {
    const { rollout, sent } = setup();
    rollout.ready('a');
    rollout.ready('b');
    const good = rollout.publish(config(5));
    rollout.applied('a', 5);
    rollout.applied('b', 5);
    await good;
    const bad = rollout.publish(config(6));
    rollout.applied('b', 6);
    sent.length = 0;
    rollout.applied('a', 6, 'plugin foo: bad config');
    expect(await state(bad)).toEqual({ ok: false, error: 'plugin foo: bad config' });
    // b had applied it: it is taken back to the node's config, so both serve the same one.
    expect(sent).toEqual([['b', 5]]);
    rollout.exited('b');
    sent.length = 0;
    rollout.ready('b2');
    expect(sent).toEqual([['b2', 5]]);
    expect(rollout.accepted?.version).toBe(5);
  });

  it('does not count a worker that exits as having applied a config: its replacement is given it and waited for', async () => {
    const { rollout, sent } = setup();
    rollout.ready('a');
    const first = rollout.publish(config(1));
    rollout.applied('a', 1);
    await first;
    const p = rollout.publish(config(2));
    rollout.exited('a');
    expect(await state(p)).toBe('pending');
    sent.length = 0;
    rollout.ready('a2');
    // The node's config first (the worker serves at once), then the one being published.
    expect(sent).toEqual([['a2', 1], ['a2', 2]]);
    rollout.applied('a2', 1);
    expect(await state(p)).toBe('pending');
    rollout.applied('a2', 2);
    expect(await state(p)).toMatchObject({ ok: true });
    expect(rollout.accepted?.version).toBe(2);
  });

  it('settles once the workers still running applied it when another exits before answering', async () => {
    const { rollout } = setup();
    rollout.ready('a');
    rollout.ready('b');
    const p = rollout.publish(config(3));
    rollout.applied('a', 3);
    rollout.exited('b');
    expect(await state(p)).toMatchObject({ ok: true });
  });

  it('refuses a publish no worker applied within the timeout (workers that crash on it)', async () => {
    const { rollout } = setup(50);
    rollout.ready('a');
    const p = rollout.publish(config(4));
    rollout.exited('a');
    expect(await p).toEqual({ ok: false, error: 'the proxy workers did not apply it within 0.05 s' });
    expect(rollout.accepted).toBeUndefined();
  });

  it('keeps the newer config when answers to an older publish come last', async () => {
    const { rollout } = setup();
    rollout.ready('a');
    const older = rollout.publish(config(7));
    const newer = rollout.publish(config(8));
    rollout.applied('a', 8);
    await newer;
    rollout.applied('a', 7);
    await older;
    expect(rollout.accepted?.version).toBe(8);
  });

  it('refuses what is in flight when the proxy stops, and publishes nothing after', async () => {
    const { rollout, sent } = setup();
    rollout.ready('a');
    const p = rollout.publish(config(9));
    rollout.stop();
    expect(await p).toEqual({ ok: false, error: 'the proxy is stopping' });
    sent.length = 0;
    expect(await rollout.publish(config(10))).toEqual({ ok: false, error: 'the proxy is stopping' });
    expect(sent).toEqual([]);
  });
});
