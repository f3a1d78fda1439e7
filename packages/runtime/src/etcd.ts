// etcd3 client with fault handling suited to a small cluster: the library's default per-host
// circuit breaker opens after 3 failures and, with one endpoint, fails every call for 5 s, which
// turns a blip into an outage; we use short bounded retries instead and a deadline on unary calls.
import { Etcd3, isRecoverableError } from "etcd3";
import { ExponentialBackoff, handleWhen, noop, retry, type IBackoff } from "cockatiel";

export function createEtcdClient(endpoints: string[], opts: { callTimeoutMs?: number } = {}): Etcd3 {
  const callTimeoutMs = opts.callTimeoutMs ?? 5_000;
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: 5_000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: {
      host: () => noop,
      global: retry(handleWhen(isRecoverableError), {
        maxAttempts: 2,
        backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 500 }),
      }),
      // etcd3 calls .next() on this (a backoff factory) although its type says IBackoff.
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }) as unknown as IBackoff<unknown>,
    },
  });
}
