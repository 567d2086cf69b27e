/**
 * Connections to the fleet's Redis. Commands that talk to Redis once (`queue add`, `queue status`)
 * fail fast with `SEGSTREAM_ERR_REDIS_UNAVAILABLE` when it cannot be reached; workers check it once
 * at start the same way, then reconnect by themselves (BullMQ's connections retry for ever) when it
 * goes away, so a restarted Redis never loses a worker. URLs are shown without their credentials.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import { redact } from '../process/redact.js';

/** The longest a one-shot command waits for Redis to answer. */
export const REDIS_CONNECT_TIMEOUT_MS = 5000;

/**
 * Checks a `redis://` / `rediss://` URL.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION`
 */
export function checkRedisUrl(url: unknown): string {
  if (typeof url !== 'string' || !/^rediss?:\/\/[^/\s]/.test(url)) throw invalidOption('redis', 'a redis:// or rediss:// URL such as redis://127.0.0.1:6379', typeof url === 'string' ? redact(url) : url);
  return url;
}

/**
 * A connection for BullMQ. `worker` connections never give up (a worker waits out a Redis
 * restart); `client` connections fail their commands after a few seconds instead of hanging.
 */
export function connectRedis(url: string, role: 'worker' | 'client'): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(200 * n, 2000) }
      : { maxRetriesPerRequest: 1, connectTimeout: REDIS_CONNECT_TIMEOUT_MS, retryStrategy: (n) => (n > 3 ? null : 200 * n) };
  const redis = new Redis(checkRedisUrl(url), { lazyConnect: true, enableOfflineQueue: true, ...options });
  // Connection errors surface through the commands (client) or are retried (worker); an
  // unhandled 'error' event would end the process.
  redis.on('error', () => {});
  return redis;
}

/**
 * Opens `redis` and checks that it answers within {@link REDIS_CONNECT_TIMEOUT_MS}.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_REDIS_UNAVAILABLE` naming the URL without credentials
 */
export async function assertRedisReachable(redis: Redis, url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        if (redis.status === 'wait') await redis.connect();
        await redis.ping();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s`)), REDIS_CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (cause) {
    throw redisUnavailable(url, cause);
  } finally {
    clearTimeout(timer);
  }
}

/** The coded error of a Redis that cannot be reached or went away. */
export function redisUnavailable(url: string, cause: unknown): SegStreamError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new SegStreamError(ErrorCodes.REDIS_UNAVAILABLE, `cannot reach Redis at ${redact(url)}: ${redact(why)}; start it or check --redis`, { cause });
}
