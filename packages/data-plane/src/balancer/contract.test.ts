// Runs the shared balancer contract over every algorithm.
import { runBalancerContract, plainInput } from './balancer.case.ts';
import { input } from './test-helpers.ts';

runBalancerContract({ name: 'round-robin', fields: { algorithm: 'round-robin' }, input: plainInput });
runBalancerContract({ name: 'least-connections', fields: { algorithm: 'least-connections' }, input: plainInput });
runBalancerContract({ name: 'latency', fields: { algorithm: 'latency' }, input: plainInput });
runBalancerContract({
  name: 'consistent-hashing',
  fields: { algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user' },
  input: (i) => input({ headers: { 'x-user': `user-${i}` } }),
});
