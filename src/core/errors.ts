// Every failure the bridge reports about bytes it was given is a BridgeError with a stable `code`
// (a literal union owned by the layer that raises it), the field and byte offset it concerns, and
// the underlying `cause`. Callers branch on `code`, never on message text.

export interface ErrorDetail {
  /** Name of the field being decoded or the rule that was broken, e.g. `VERSION.protocol`. */
  field?: string;
  /** Byte offset into the chunk/frame/stream being decoded. */
  offset?: number;
  cause?: unknown;
  /** True when retrying the same operation later can succeed (network, busy port), false for bad input. */
  retriable?: boolean;
}

export class BridgeError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly field: string | undefined;
  readonly offset: number | undefined;
  readonly retriable: boolean;

  constructor(code: Code, message: string, detail: ErrorDetail = {}) {
    const where = [detail.field !== undefined ? `field ${detail.field}` : '', detail.offset !== undefined ? `offset ${detail.offset}` : '']
      .filter(Boolean)
      .join(', ');
    super(where ? `${message} (${where})` : message, detail.cause !== undefined ? { cause: detail.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.field = detail.field;
    this.offset = detail.offset;
    this.retriable = detail.retriable ?? false;
  }

  toJSON(): { code: Code; message: string; field?: string; offset?: number } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.offset !== undefined ? { offset: this.offset } : {}),
    };
  }
}

/** Codes raised by the shared byte reader; protocol codecs include them in their own unions. */
export type ReaderErrorCode = 'truncated' | 'limit_exceeded';

export function isBridgeError(err: unknown): err is BridgeError {
  return err instanceof BridgeError;
}
