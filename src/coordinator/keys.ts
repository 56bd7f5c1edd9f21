import { sha256 } from '../utils/digest.js';

/**
 * What the Durable Object and Deno KV coordinators keep a fleet's state of one scope under (the
 * object's name, the KV key): a SHA-256 of the client's `name` and the scope, so clients of
 * different names never share a scope's breaker or throttle, and neither the name nor the scope's
 * URL is in a key (a Durable Object's name is visible to the object, `ctx.id.name`). Computed per
 * sync: microseconds, next to the sync's own round trip.
 */
export const fleetKey = async (name: string, scope: string): Promise<string> => sha256(JSON.stringify(['steadfetch fleet', name, scope]));
