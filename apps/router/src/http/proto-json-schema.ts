import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { PROTO_FILES, PROTO_LOADER_OPTIONS, protoRoot } from '@slm/contracts';

/** A JSON Schema (draft 2020-12, as OpenAPI 3.1 embeds it). */
export type JsonSchema = Record<string, unknown>;

/** Options of {@link protoJsonSchemas}. */
export interface ProtoJsonSchemaOptions {
  /** The `$ref` of a message or enum schema from its simple name (`Result` → `#/components/schemas/Result`). */
  refOf(name: string): string;
  /**
   * Messages written with only some of their fields (a batch item line holds a result or an error),
   * whose schema requires none; default: none, every field of every message is present.
   */
  partial?: readonly string[];
}

const PACKAGE = 'slmrouter.v1';
const INTEGER_TYPES = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32']);
const UNSIGNED_TYPES = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);
const LONG_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

let cachedRoot: protobuf.Root | undefined;

/**
 * The JSON Schemas of proto messages as the router answers them in JSON, keyed by simple name,
 * with every message and enum they use: the .proto files are the one source of the wire
 * contracts, and their comments become the descriptions. The shape is the object form that
 * @grpc/proto-loader makes with PROTO_LOADER_OPTIONS: camelCase fields, enums as their names,
 * 64-bit integers as strings, every field present (defaults filled, an unset message `null`),
 * a oneof's member named in a virtual field.
 */
export function protoJsonSchemas(messages: readonly string[], options: ProtoJsonSchemaOptions): Record<string, JsonSchema> {
  const root = loadRoot();
  const schemas: Record<string, JsonSchema> = {};
  const pending: (protobuf.Type | protobuf.Enum)[] = [];
  const seen = new Map<string, protobuf.Type | protobuf.Enum>();
  const use = (type: protobuf.Type | protobuf.Enum): string => {
    const owner = seen.get(type.name);
    if (owner && owner !== type) throw new Error(`two proto types are named ${type.name}: ${owner.fullName} and ${type.fullName}`);
    if (!owner) {
      seen.set(type.name, type);
      pending.push(type);
    }
    return options.refOf(type.name);
  };
  for (const name of messages) use(root.lookupType(`${PACKAGE}.${name}`));
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    schemas[next.name] =
      next instanceof protobuf.Enum ? enumSchema(next) : messageSchema(next, options.partial?.includes(next.name) ?? false, use);
  }
  return schemas;
}

function loadRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(protoRoot(), target);
  root.loadSync([...PROTO_FILES], { keepCase: PROTO_LOADER_OPTIONS.keepCase ?? false, alternateCommentMode: true });
  root.resolveAll();
  return (cachedRoot = root);
}

function messageSchema(type: protobuf.Type, partial: boolean, use: (type: protobuf.Type | protobuf.Enum) => string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const field of type.fieldsArray) {
    properties[field.name] = withDescription(fieldSchema(field, use), field.comment);
    // A field of a oneof (proto3 `optional` ones included) is there only when it is set.
    if (!partial && !field.partOf) required.push(field.name);
  }
  if (PROTO_LOADER_OPTIONS.oneofs) {
    for (const oneof of type.oneofsArray) {
      properties[oneof.name] = {
        type: 'string',
        enum: oneof.fieldsArray.map((f) => f.name),
        description: 'Which field of the oneof is set.',
      };
    }
  }
  return withDescription({ type: 'object', properties, ...(required.length ? { required } : {}) }, type.comment);
}

function fieldSchema(field: protobuf.Field, use: (type: protobuf.Type | protobuf.Enum) => string): JsonSchema {
  const value = valueSchema(field, use);
  if (field instanceof protobuf.MapField) return { type: 'object', additionalProperties: value };
  if (field.repeated) return { type: 'array', items: value };
  // An unset message field is null in the loader's object form; an unset scalar its default.
  if (field.resolvedType instanceof protobuf.Type) return { anyOf: [value, { type: 'null' }] };
  return value;
}

function valueSchema(field: protobuf.Field, use: (type: protobuf.Type | protobuf.Enum) => string): JsonSchema {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type || resolved instanceof protobuf.Enum) return { $ref: use(resolved) };
  const unsigned = UNSIGNED_TYPES.has(field.type) ? { minimum: 0 } : {};
  if (INTEGER_TYPES.has(field.type)) return { type: 'integer', ...unsigned };
  if (LONG_TYPES.has(field.type))
    return PROTO_LOADER_OPTIONS.longs === String ? { type: 'string', pattern: '^-?[0-9]+$' } : { type: 'integer', ...unsigned };
  switch (field.type) {
    case 'double':
    case 'float':
      return { type: 'number' };
    case 'bool':
      return { type: 'boolean' };
    case 'string':
      return { type: 'string' };
    case 'bytes':
      return { type: 'string', contentEncoding: 'base64' };
    default:
      throw new Error(`proto field ${field.fullName} has a type (${field.type}) with no JSON Schema here`);
  }
}

function enumSchema(type: protobuf.Enum): JsonSchema {
  const names = Object.keys(type.values);
  const valueNotes = names.filter((name) => type.comments[name]).map((name) => `- \`${name}\`: ${type.comments[name]}`);
  const description = [type.comment, ...valueNotes].filter(Boolean).join('\n');
  return withDescription({ type: 'string', enum: names }, description);
}

function withDescription(schema: JsonSchema, description: string | null | undefined): JsonSchema {
  return description ? { description, ...schema } : schema;
}
