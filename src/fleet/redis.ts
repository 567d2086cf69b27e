/**
 * Connections to the fleet's Redis. Commands that talk to Redis once (`queue add`, `queue status`)
 * fail fast with `SEGSTREAM_ERR_REDIS_UNAVAILABLE` when it cannot be reached; workers check it once
 * at start the same way, then reconnect by themselves (BullMQ's connections retry for ever) when it
 * goes away, so a restarted Redis never loses a worker. URLs are shown without their credentials.
 */
import { FlowProducer, Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import { redact } from '../process/redact.js';
import { FLEET_PREFIX } from './jobs.js';

/** The longest a one-shot command waits for Redis to answer. */
export const REDIS_CONNECT_TIMEOUT_MS = 5000;

/**
 * Checks a `redis://` / `rediss://` URL.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION`
 */
export function checkRedisUrl(url: unknown): string {
  if (typeof url !== 'string' || !/^rediss?:\/\/[^/\s]/.test(url))
    throw invalidOption(
      'redis',
      'a redis:// or rediss:// URL such as redis://127.0.0.1:6379',
      typeof url === 'string' ? redact(url) : url,
    );
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
      : {
          maxRetriesPerRequest: 1,
          connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
          retryStrategy: (n) => (n > 3 ? null : 200 * n),
        };
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
  let onError: ((err: Error) => void) | undefined;
  try {
    await Promise.race([
      (async () => {
        if (redis.status === 'wait') await redis.connect();
        await redis.ping();
      })(),
      // The connection's own error (refused, unknown host, wrong password) says more than a retry limit.
      new Promise((_, reject) => redis.once('error', (onError = reject))),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s`)),
          REDIS_CONNECT_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (cause) {
    throw redisUnavailable(url, cause);
  } finally {
    clearTimeout(timer);
    if (onError) redis.off('error', onError);
  }
}

/** The coded error of a Redis that cannot be reached or went away. */
export function redisUnavailable(url: string, cause: unknown): SegStreamError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new SegStreamError(
    ErrorCodes.REDIS_UNAVAILABLE,
    `cannot reach Redis at ${redact(url)}: ${redact(why)}; start it or check --redis`,
    { cause },
  );
}

/**
 * A fleet queue on `connection`. Its connection errors are reported by the commands that fail (or
 * retried by the worker's connection), not printed by BullMQ.
 */
export function fleetQueue(name: string, connection: Redis): Queue {
  const queue = new Queue(name, { connection, prefix: FLEET_PREFIX });
  queue.on('error', () => {});
  return queue;
}

/** The producer of parent/child job flows (a join over its chunks or sequences), quiet as {@link fleetQueue}. */
export function fleetFlows(connection: Redis): FlowProducer {
  const flows = new FlowProducer({ connection, prefix: FLEET_PREFIX });
  flows.on('error', () => {});
  return flows;
}
