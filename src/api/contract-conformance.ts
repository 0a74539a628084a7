import type { Static, TSchema } from '@sinclair/typebox'

// The server's response schemas are written with TypeBox (validation, serialization, the
// OpenAPI document); the clients read the same answers by the plain types of the public contract
// (contract/api-contract.ts). Each schema of a shared answer is checked against its contract
// type when compiled, so the two cannot drift apart.

// The same type, not merely assignable both ways: an added optional field differs too.
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false

// What the compiler names when a schema differs: the answer it describes, and the contract's.
interface DiffersFromTheContract<Answered, Contract> { answered: Answered, contract: Contract }

// The schema itself, which must describe exactly `Shape`.
// @example export const MeSchema = conformingTo<MeBody>()(Type.Object({ ... }))
export function conformingTo<Shape> (): <Schema extends TSchema>(schema: Schema & (Identical<Static<Schema>, Shape> extends true ? unknown : DiffersFromTheContract<Static<Schema>, Shape>)) => Schema {
  return (schema) => schema
}
