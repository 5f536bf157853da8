/**
 * An in-memory publish/subscribe bus for the service unit tests: every Transport made from it delivers to
 * every matching subscription of every other open transport (MQTT-style `+` / `#` filters), asynchronously,
 * and the bus knows when everything it delivered has been handled ({@link LoopbackBus.settle}). No broker,
 * no persistence: a closed transport receives nothing more. The real MQTT runs in the end-to-end tests.
 */
import type { MessageHandler, Transport } from '../../../protocol/transport/transport.ts';

/** One published message, for assertions. */
export interface Published {
  from: string;
  topic: string;
  payload: Buffer;
}

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The bus. */
export class LoopbackBus {
  readonly published: Published[] = [];
  /** Errors thrown by handlers (a test expects none). */
  readonly errors: unknown[] = [];
  readonly #subs: { clientId: string; filter: string; handler: MessageHandler }[] = [];
  readonly #closed = new Set<string>();
  readonly #pending = new Set<Promise<void>>();

  /** A transport connected as `clientId`. */
  transport(clientId: string): Transport {
    this.#closed.delete(clientId);
    return {
      clientId,
      publish: async (topic, payload) => {
        if (this.#closed.has(clientId)) throw new Error(`${clientId} is closed`);
        this.published.push({ from: clientId, topic, payload });
        for (const s of this.#subs) {
          if (s.clientId === clientId || this.#closed.has(s.clientId) || !matches(s.filter, topic)) continue;
          const p = Promise.resolve()
            .then(() => (this.#closed.has(s.clientId) ? undefined : s.handler({ topic, payload })))
            .catch((e: unknown) => void this.errors.push(e))
            .finally(() => this.#pending.delete(p));
          this.#pending.add(p);
        }
      },
      subscribe: async (filter, handler) => {
        this.#subs.push({ clientId, filter, handler });
      },
      close: async () => {
        this.#closed.add(clientId);
      },
    };
  }

  /** Messages published on topics matching `filter`. */
  on(filter: string): Published[] {
    return this.published.filter((p) => matches(filter, p.topic));
  }

  /** True while some delivery is still being handled. */
  get busy(): boolean {
    return this.#pending.size > 0;
  }

  /** Resolves when every delivery so far (and those they caused) has been handled. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
