// The subset of onnx.proto3 (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto3) that the
// exporter writes, as a protobufjs JSON descriptor: field numbers and types are copied from the
// official schema, so protobufjs does all of the wire encoding.
import protobuf from 'protobufjs/light';

const descriptor = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4 },
            int32Data: { rule: 'repeated', type: 'int32', id: 5 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            docString: { type: 'string', id: 12 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: { tensorType: { type: 'Tensor', id: 1 } },
          nested: {
            Tensor: {
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
      },
    },
  },
};

// Encoding walks the descriptor and writes through protobufjs' Writer. protobufjs' reflected
// Type.encode/verify generate code with new Function, which the studio's Content-Security-Policy
// (no eval) forbids in the page and in workers; the Writer needs no code generation.
type FieldDesc = { type: string; id: number; rule?: string };
type MessageDesc = { fields: Record<string, FieldDesc>; nested?: Record<string, MessageDesc> };
/** Every message by its full name within the package ("TypeProto.Tensor"), nested ones included. */
const messages: Record<string, MessageDesc> = {};
(function collect(scope: Record<string, MessageDesc>, prefix: string) {
  for (const [n, m] of Object.entries(scope)) {
    messages[prefix + n] = m;
    if (m.nested) collect(m.nested, `${prefix}${n}.`);
  }
})(descriptor.nested.onnx.nested as unknown as Record<string, MessageDesc>, '');
const sortedFields = new Map(Object.entries(messages).map(([n, m]) => [n, Object.entries(m.fields).sort((a, b) => a[1].id - b[1].id)]));

/** A field's message type, resolved as protobuf does: innermost scope first. */
function resolveType(type: string, scope: string): string | undefined {
  for (let s = scope; ; s = s.slice(0, Math.max(0, s.lastIndexOf('.')))) {
    const name = s ? `${s}.${type}` : type;
    if (messages[name]) return name;
    if (!s) return undefined;
  }
}

function writeField(w: protobuf.Writer, f: FieldDesc, v: unknown, path: string, scope: string): void {
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string') throw new Error(`${path}: string expected`);
      w.uint32((f.id << 3) | 2).string(v);
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw new Error(`${path}: bytes expected`);
      w.uint32((f.id << 3) | 2).bytes(v);
      return;
    case 'int64':
    case 'int32':
    case 'uint64': {
      if (!Number.isInteger(v) && typeof v !== 'bigint') throw new Error(`${path}: integer expected`);
      const n = typeof v === 'bigint' ? Number(v) : (v as number);
      if (f.type === 'int32') w.uint32(f.id << 3).int32(n);
      else if (f.type === 'uint64') w.uint32(f.id << 3).uint64(n);
      else w.uint32(f.id << 3).int64(n);
      return;
    }
    case 'float':
      if (typeof v !== 'number') throw new Error(`${path}: number expected`);
      w.uint32((f.id << 3) | 5).float(v);
      return;
    case 'double':
      if (typeof v !== 'number') throw new Error(`${path}: number expected`);
      w.uint32((f.id << 3) | 1).double(v);
      return;
    default: {
      const type = resolveType(f.type, scope);
      if (!type) throw new Error(`${path}: unknown field type ${f.type}`);
      w.uint32((f.id << 3) | 2).fork();
      writeMessage(w, type, v, path);
      w.ldelim();
    }
  }
}

function writeMessage(w: protobuf.Writer, type: string, msg: unknown, path = type): void {
  if (typeof msg !== 'object' || msg === null) throw new Error(`${path}: a ${type} object expected`);
  const m = msg as Record<string, unknown>;
  const fields = sortedFields.get(type)!;
  for (const key of Object.keys(m)) if (!messages[type].fields[key]) throw new Error(`${path}: ${type} has no field ${key}`);
  for (const [name, f] of fields) {
    const v = m[name];
    if (v === undefined || v === null) continue;
    if (f.rule === 'repeated') {
      if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new Error(`${path}.${name}: array expected`);
      Array.from(v as ArrayLike<unknown>).forEach((x, i) => writeField(w, f, x, `${path}.${name}[${i}]`, type));
    } else writeField(w, f, v, `${path}.${name}`, type);
  }
}

function encode(type: string, msg: unknown): Uint8Array {
  const w = protobuf.Writer.create();
  writeMessage(w, type, msg);
  return w.finish();
}

// Reflection (code-generating) types, for decoding in tests and inspection only.
// Built on first use only: setting up reflected types generates code, which the policy forbids.
let reflectedModel: protobuf.Type | null = null;
function reflectedModelProto(): protobuf.Type {
  reflectedModel ??= protobuf.Root.fromJSON(descriptor).lookupType('onnx.ModelProto');
  return reflectedModel;
}

/** TensorProto.DataType */
export const OnnxType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
/** AttributeProto.AttributeType */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  ints?: number[];
  floats?: number[];
  t?: OnnxTensor;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: number } | { dimParam: string })[] } } };
}

export function encodeModel(m: Record<string, unknown>): Uint8Array {
  return encode('ModelProto', m);
}

/** A GraphProto (or a part of one: parts holding only repeated fields concatenate into one graph). */
export function encodeGraph(g: Record<string, unknown>): Uint8Array {
  return encode('GraphProto', g);
}

export const MODEL_GRAPH_FIELD = 7;

/** The tag and length of a length-delimited field, written by protobufjs' Writer. */
export function fieldHeader(field: number, length: number): Uint8Array {
  return protobuf.Writer.create()
    .uint32((field << 3) | 2)
    .uint32(length)
    .finish();
}

function varintSize(n: number): number {
  let s = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

/** Encoded size of GraphProto {initializer: [t]} for raw data of t.byteLength, without the data. */
export function initializerPartSize(t: { name: string; dims: number[]; dataType: number; byteLength: number }): number {
  const meta = encode('TensorProto', { name: t.name, dims: t.dims, dataType: t.dataType }).byteLength;
  const tensor = meta + 1 + varintSize(t.byteLength) + t.byteLength;
  return 1 + varintSize(tensor) + tensor;
}

/** Decodes a ModelProto (tests and inspection). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const ModelProto = reflectedModelProto();
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Uint8Array as unknown as typeof String, defaults: false }) as Record<
    string,
    unknown
  >;
}
