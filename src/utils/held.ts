/**
 * `value` held weakly (a `WeakRef`): what is held this way is not kept alive by its holder; where
 * the runtime has no `WeakRef`, strongly.
 */
export const held = <T extends object>(value: T): { deref(): T | undefined } => (typeof WeakRef === 'function' ? new WeakRef(value) : { deref: () => value });
