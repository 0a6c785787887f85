// The declarative config the benchmarks import: N services with one route each, N consumers each
// with a key-auth credential, shaped like a large real deployment.
export function generateConfig(count: number): string {
  const services = [];
  const consumers = [];
  for (let i = 0; i < count; i++) {
    services.push({
      name: `svc-${i}`,
      url: `http://backend-${i % 50}.internal:8080/api/${i}`,
      tags: ['bench', `team-${i % 20}`],
      routes: [{ name: `route-${i}`, paths: [`/svc/${i}`], hosts: [`api${i % 10}.example.com`], methods: ['GET', 'POST'] }],
    });
    consumers.push({ username: `user-${i}`, custom_id: `cid-${i}`, keyauth_credentials: [{ key: `key-${i}-${'x'.repeat(24)}` }] });
  }
  return JSON.stringify({ _format_version: '3.0', services, consumers });
}
