/**
 * The abort reason of an attempt a policy gave up because another won (a hedge that lost, a shared
 * request nobody waits for). Not a failure of the origin: a breaker does not count it.
 */
export class Superseded extends Error {
	override name = 'Superseded';
}

/** Whether an abort reason (or the error an aborted fetch rejected with) says "superseded". */
export const isSuperseded = (reason: unknown): boolean =>
	reason instanceof Superseded || (typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'Superseded');
