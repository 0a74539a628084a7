import type { Cluster, Redis } from 'ioredis'

// What the stores and the rate limiter run on: one Redis, or a Redis Cluster. Each script and
// pipeline they send names the keys of one slot only (one user's, through the `{userId}` hash
// tag, or one counter's), so both serve them alike (test/redis/cluster.cases.ts).
export type RedisClient = Redis | Cluster
