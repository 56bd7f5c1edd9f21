/**
 * `copyPlain` as the browser and edge builds have it (see tsup.config.ts): the engine's own
 * `structuredClone`, which is cheap there; Node's build copies plain data directly (copy.ts).
 */
export const copyPlain = <T>(value: T): T => structuredClone(value);
