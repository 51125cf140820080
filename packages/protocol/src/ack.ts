// The acknowledgement every client-to-server event answers with.

export interface AckError {
  code: string;
  message: string;
  details?: unknown;
}

export type Ack<T = unknown> = { ok: true; data: T } | { ok: false; error: AckError };

export function isAckOk<T>(ack: Ack<T>): ack is { ok: true; data: T } {
  return ack.ok === true;
}
