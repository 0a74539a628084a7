import { AjvCompiler } from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions, RouteOptions } from 'fastify'

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>
type SerializerCompiler = ReturnType<BuildSerializer>
type Serializer = ReturnType<SerializerCompiler>

// Fastify compiles every route's schemas (Ajv validators, fast-json-stringify serializers) anew
// for each instance it builds. A server builds one, but the tests build hundreds from the same
// schema objects, and compiling was a fifth of their CPU. These factories live for the process:
// validators come from one Ajv per set of options, which keeps each schema it compiled by object
// identity; serializers are kept the same way. A schema is never mutated after its routes
// register, so a reused function is the function a fresh compile would give.

const buildValidator = AjvCompiler()

// A validator compiler given to Fastify counts as custom, and Fastify then compiles header schemas
// as written instead of lower-casing their property names (Node lower-cases the headers it
// parses): refuse a name that would never match. Added as an onRoute hook, before compiling.
export function refuseUpperCaseHeaderNames (route: RouteOptions): void {
  const headers = route.schema?.headers
  if (typeof headers !== 'object' || headers === null) return
  const properties = (headers as { properties?: Record<string, unknown> }).properties ?? {}
  const upper = Object.keys(properties).find((name) => name !== name.toLowerCase())
  if (upper !== undefined) throw new Error(`${String(route.method)} ${route.url}: write header "${upper}" in lower case in its schema`)
}

const serializerPool = new Map<string, SerializerCompiler>()

const buildSerializer: BuildSerializer = (externalSchemas, options) => {
  const poolKey = JSON.stringify([externalSchemas, options])
  const pooled = serializerPool.get(poolKey)
  if (pooled !== undefined) return pooled
  const compile = SerializerSelector()(externalSchemas, options)
  const bySchema = new WeakMap<object, Serializer>()
  const cached: SerializerCompiler = (route) => {
    const { schema } = route
    if (typeof schema !== 'object' || schema === null) return compile(route)
    let serializer = bySchema.get(schema)
    if (serializer === undefined) {
      serializer = compile(route)
      bySchema.set(schema, serializer)
    }
    return serializer
  }
  serializerPool.set(poolKey, cached)
  return cached
}

export const sharedSchemaCompilers: CompilersFactory = { buildValidator, buildSerializer }
