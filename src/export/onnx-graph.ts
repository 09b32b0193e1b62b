// A small builder for ONNX graphs: nodes with generated output names, attributes by kind, small
// constant initializers inline, and large weight initializers kept aside so the exporter can
// stream them one at a time.
import { AttrType, OnnxType, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto';
import { bytesOf } from './sink';

export type Attr = OnnxAttribute;
export const attr = {
  int: (name: string, i: number): Attr => ({ name, type: AttrType.INT, i }),
  ints: (name: string, ints: number[]): Attr => ({ name, type: AttrType.INTS, ints }),
  float: (name: string, f: number): Attr => ({ name, type: AttrType.FLOAT, f }),
};

/** A weight initializer whose bytes are produced only when it is written. */
export interface LazyInitializer {
  name: string;
  dims: number[];
  dataType: number;
  byteLength: number;
  bytes(): Promise<Uint8Array>;
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly constants: OnnxTensor[] = [];
  readonly weights: LazyInitializer[] = [];
  private counter = 0;

  /** Adds a node and returns its output names. */
  ops(opType: string, inputs: string[], outputs: number, attrs: Attr[] = [], domain = ''): string[] {
    const id = this.counter++;
    const name = `${opType}_${id}`;
    const out = Array.from({ length: outputs }, (_, i) => `${name}_out${i}`);
    this.nodes.push({ name, opType, domain, input: inputs, output: out, attribute: attrs });
    return out;
  }

  op(opType: string, inputs: string[], attrs: Attr[] = [], domain = ''): string {
    return this.ops(opType, inputs, 1, attrs, domain)[0];
  }

  /** Names the last node's output (for graph outputs). */
  rename(from: string, to: string): string {
    for (const n of this.nodes) n.output = n.output.map((o) => (o === from ? to : o));
    for (const n of this.nodes) n.input = n.input.map((o) => (o === from ? to : o));
    return to;
  }

  constI64(values: number[], dims: number[] = [values.length], name = `c${this.counter++}_i64`): string {
    this.constants.push({ name, dims, dataType: OnnxType.INT64, rawData: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    return name;
  }

  constF32(values: ArrayLike<number>, dims: number[] = [values.length], name = `c${this.counter++}_f32`): string {
    this.constants.push({ name, dims, dataType: OnnxType.FLOAT, rawData: bytesOf(Float32Array.from(values)) });
    return name;
  }

  weight(w: LazyInitializer): string {
    this.weights.push(w);
    return w.name;
  }
}
