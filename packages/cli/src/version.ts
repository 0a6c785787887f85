// The Tollgate version, reported by `GET /` and sent to peers.
export const VERSION = '0.1.0';
