// The protocol package's error catalogue. A peer that sends bytes we cannot read gets its connection
// closed with the message; the code is what callers match on, never the text.

/** Stable codes (matched by `code`), each with the HTTP status an Admin API or health endpoint would use. */
export const PROTOCOL_ERROR_CODES = {
  /** A frame that is not a well-formed message: truncated, unknown flag or type, a field of the wrong type. */
  TG_PROTOCOL_BAD_MESSAGE: { status: 400, summary: 'malformed protocol message' },
  /** A compressed frame that inflates past the decoder's limit (a deflate bomb, or a config too large to hold). */
  TG_PROTOCOL_TOO_LARGE: { status: 413, summary: 'protocol message too large' },
} as const;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

/**
 * A frame the codec refuses. The message names the field and what was wrong with it.
 *
 * @example
 *   try { handle(decode(frame)) }
 *   catch (err) { if (err instanceof ProtocolError) socket.close(1007, err.message); else throw err }
 */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
  }

  get status(): number {
    return PROTOCOL_ERROR_CODES[this.code].status;
  }
}

/** Shorthand for the common case: a message that does not have the shape its type promises. */
export function badMessage(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('TG_PROTOCOL_BAD_MESSAGE', message, cause === undefined ? undefined : { cause });
}
