// @tollgate/protocol: the control-plane ↔ data-plane wire protocol. Messages, the binary codec (msgpack,
// deflate above 1 KiB), version negotiation, the canonical config hash and config deltas. Pure: no I/O.
export * from './errors.ts';
export * from './messages.ts';
export { parseMessage } from './validate.ts';
export * from './codec.ts';
export * from './negotiate.ts';
export { ENTITY_ORDER, canonicalize, configHash } from './hash.ts';
export * from './delta.ts';
