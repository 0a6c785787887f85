#!/usr/bin/env node
// Entry point for `npx tollgate`: Node 24 runs the TypeScript sources directly (type stripping).
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`tollgate needs Node.js 24 or newer; this is ${process.version}. See the README for installing Node 24.`);
  process.exit(1);
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
