/**
 * The abort reason of an attempt a policy gave up because another won (a hedge that lost, a shared
 * request nobody waits for). Not a failure of the origin: a breaker does not count it.
 */
export class Superseded extends Error {
	override name = 'Superseded';
}

/** Whether an abort reason (or the error an aborted fetch rejected with) says "superseded": by name, so a copy from another realm or bundle counts too. */
export const isSuperseded = (reason: unknown): boolean => (reason as { name?: unknown } | null | undefined)?.name === 'Superseded';
