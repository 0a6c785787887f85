// Version negotiation follows Kong's rule: same protocol, same major, DP minor not above the CP's.
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type HelloMessage } from './messages.ts';
import { negotiate, parseSemver } from './negotiate.ts';
import { SAMPLES } from './samples.ts';

const CP = { version: '1.4.0', protocol: PROTOCOL_VERSION };
const hello = (over: Partial<HelloMessage>): HelloMessage => ({ ...SAMPLES.hello, ...over });

describe('negotiate', () => {
  it('accepts the same version, and any patch difference either way', () => {
    expect(negotiate(hello({ version: '1.4.0' }), CP)).toEqual({ ok: true });
    expect(negotiate(hello({ version: '1.4.9' }), CP)).toEqual({ ok: true });
    expect(negotiate(hello({ version: '1.4.0' }), { ...CP, version: '1.4.7' })).toEqual({ ok: true });
    expect(negotiate(hello({ version: '1.4.1-rc.1+build.5' }), CP)).toEqual({ ok: true });
  });

  it('accepts an older DP minor, with a notice worth logging', () => {
    const result = negotiate(hello({ version: '1.2.3' }), CP);
    expect(result.ok).toBe(true);
    expect(result.ok && result.notice).toMatch(/1\.2\.3.*older minor than control plane 1\.4\.0/);
  });

  it('refuses a newer DP minor (Kong: the CP cannot know what newer schemas expect)', () => {
    const result = negotiate(hello({ version: '1.5.0' }), CP);
    expect(result).toEqual({ ok: false, refused: { type: 'refused', status: 'version_incompatible', reason: expect.stringMatching(/newer than control plane 1\.4\.0; upgrade the control plane first/) } });
  });

  it('refuses a different major either way', () => {
    for (const version of ['2.0.0', '0.9.0']) {
      const result = negotiate(hello({ version }), CP);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.refused.status).toBe('version_incompatible');
        expect(result.refused.reason).toMatch(/different major version than control plane 1\.4\.0/);
      }
    }
  });

  it('refuses a different protocol before looking at versions', () => {
    const result = negotiate(hello({ protocol: PROTOCOL_VERSION + 1, version: 'garbage' }), CP);
    expect(result).toEqual({ ok: false, refused: { type: 'refused', status: 'protocol_incompatible', reason: expect.stringMatching(/speaks protocol 2, control plane speaks protocol 1/) } });
  });

  it('refuses a DP version that is not a semver', () => {
    const result = negotiate(hello({ version: 'latest' }), CP);
    expect(!result.ok && result.refused.reason).toMatch(/'latest', which is not a semver/);
  });

  it('throws on a CP version that is not a semver (a bug in the caller, not the peer)', () => {
    expect(() => negotiate(hello({}), { ...CP, version: '1.4' })).toThrow(TypeError);
  });
});

describe('parseSemver', () => {
  it('parses major.minor.patch, ignoring prerelease and build', () => {
    expect(parseSemver('3.10.2')).toEqual({ major: 3, minor: 10, patch: 2 });
    expect(parseSemver('v1.0.0-beta.1+sha.abc')).toEqual({ major: 1, minor: 0, patch: 0 });
  });
  it('rejects anything else', () => {
    for (const bad of ['', '1', '1.2', '1.2.3.4', '01.2.3', '1.2.x', ' 1.2.3']) expect(parseSemver(bad)).toBeUndefined();
  });
});
