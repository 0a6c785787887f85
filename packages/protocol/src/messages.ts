// Every message the control plane (CP) and a data plane (DP) exchange, as discriminated unions on
// `type`. One message is one binary WebSocket frame (see codec.ts); liveness uses ping/pong messages
// rather than WebSocket control frames so the round trip can carry a timestamp.
import type { EntityName, EntityRecord } from '@tollgate/schema';

/**
 * The wire protocol's major version. Peers with different values refuse each other; additions that an
 * older peer can ignore (a new optional field) do not bump it.
 */
export const PROTOCOL_VERSION = 1;

/** A whole config: records per entity type. Types with no records may be absent. */
export type Entities = Partial<Record<EntityName, EntityRecord[]>>;

/** One entity change in a delta; `record` is the whole new record for an upsert, absent for a delete. */
export type EntityChange =
  | { entity: EntityName; id: string; op: 'upsert'; record: EntityRecord }
  | { entity: EntityName; id: string; op: 'delete'; record?: undefined };

/** A plugin instance the CP left out of this DP's config (e.g. the DP lacks the plugin), per instance. */
export interface Withheld {
  plugin: string;
  id: string;
  reason: string;
}

// ---- data plane → control plane ----

/** First message on a connection: who the DP is and what config it already holds (from its disk cache). */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  nodeId: string;
  hostname: string;
  /** Tollgate's semver, e.g. `1.4.2`. */
  version: string;
  labels: Record<string, string>;
  plugins: Array<{ name: string; version: string }>;
  /** The config version the DP holds; 0 = none. */
  configVersion: number;
  /** The hash of that config; '' = none. */
  configHash: string;
}

/** The DP built and swapped in this version; `applyMs` is how long that took. */
export interface AppliedMessage {
  type: 'applied';
  version: number;
  hash: string;
  applyMs: number;
}

/** The DP kept its previous config; `errors` are one line per bad entity. */
export interface RejectedMessage {
  type: 'rejected';
  version: number;
  reason: string;
  errors: string[];
}

/** Asks for a full snapshot, e.g. after a delta whose `from` or resulting hash did not match. */
export interface ResyncMessage {
  type: 'resync';
  reason: string;
}

export interface PingMessage {
  type: 'ping';
  /** Sender's clock in ms; echoed in the pong so the DP can measure the round trip. */
  t: number;
}

// ---- control plane → data plane ----

export interface WelcomeMessage {
  type: 'welcome';
  protocol: number;
  /** The CP's Tollgate semver. */
  version: string;
  /** The CP node's id, so a DP behind a load balancer can log which CP it is attached to. */
  nodeId: string;
}

export type RefusedStatus = 'version_incompatible' | 'protocol_incompatible';

/** Sent instead of `welcome`; the CP closes the connection after it. */
export interface RefusedMessage {
  type: 'refused';
  reason: string;
  status: RefusedStatus;
}

/** A whole config. `hash` is configHash(entities). */
export interface SnapshotMessage {
  type: 'snapshot';
  version: number;
  hash: string;
  entities: Entities;
  withheld?: Withheld[];
}

/** The changes from version `from` to `version`; `hash` is the config hash after applying them. */
export interface DeltaMessage {
  type: 'delta';
  from: number;
  version: number;
  hash: string;
  changes: EntityChange[];
}

export interface PongMessage {
  type: 'pong';
  t: number;
}

export type DataPlaneMessage = HelloMessage | AppliedMessage | RejectedMessage | ResyncMessage | PingMessage;
export type ControlPlaneMessage = WelcomeMessage | RefusedMessage | SnapshotMessage | DeltaMessage | PongMessage;
export type Message = DataPlaneMessage | ControlPlaneMessage;
export type MessageType = Message['type'];

/** Narrows a decoded message to one type, e.g. `isMessage(msg, 'delta')`. */
export function isMessage<T extends MessageType>(msg: Message, type: T): msg is Extract<Message, { type: T }> {
  return msg.type === type;
}
