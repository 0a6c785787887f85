// Load balancing for the data plane (Kong semantics): upstream and plain-host balancers, the DNS resolver.
export { createHostBalancer, createUpstreamBalancer } from './upstream-balancer.ts';
export { createResolver, type DnsBackend, type ResolverOptions } from './resolver.ts';
export { defaultHealthchecks, defaultTarget, defaultUpstream } from './defaults.ts';
export type {
  Balancer,
  BalancerDeps,
  BalancerInput,
  HashOn,
  Healthchecks,
  Peer,
  PickResult,
  ProbeTls,
  ResolvedAddress,
  SetHealthResult,
  Resolver,
  TargetEntity,
  TargetHealth,
  TryOutcome,
  UpstreamEntity,
} from './types.ts';
