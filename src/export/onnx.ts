// ONNX export of a quantized LLaMA-family or OPT model: every quantized Linear becomes a com.microsoft
// MatMulNBits holding the run's own codes, scales and zero points (block_size = the group size, or
// a power-of-two divisor of it with the group's scale repeated); everything else is standard ONNX
// (opset 17): Gather, causal attention with MatMul/Softmax (grouped KV heads by broadcasting; a
// sliding window where the model has one), and
// LLaMA: RMSNorm from Mul/ReduceMean/Sqrt, half-split RoPE from Sin/Cos of the positions, SwiGLU;
// OPT: learned positions (row = position + 2), LayerNormalization with bias, biases, ReLU.
// Input input_ids int64 [batch, seq]; output logits float [batch, seq, vocab]; no KV cache.
// GPTQ act-order Linears (g_idx): a Gather puts the inputs in group order and the codes' columns
// follow, so each group is a run of consecutive inputs again (exact; the stored codes are kept).
//
// Streaming: a protobuf parser merges repeated occurrences of a message field, so the file is the
// ModelProto header (graph structure, small constants) followed by one ModelProto per weight
// initializer ({graph: {initializer: [t]}}), each encoded by protobufjs; no second full copy.
import { hasFinalNorm, windowedLayer, type ModelConfig } from '../core/model-config';
import { globalNames, headNormNames, linearHasBias, linearName, linearRoles, normNames, type LinearRole } from '../core/tensor-names';
import { ropeFrequencies } from '../reference/rope';
import { effectiveGroupSize, groupCount, type QuantizedLinear } from '../core/quant-spec';
import type { QuantizedModel } from '../quant/quantized-model';
import { attr, GraphBuilder, type LazyInitializer } from './onnx-graph';
import { encodeGraph, encodeModel, fieldHeader, initializerPartSize, MODEL_GRAPH_FIELD, OnnxType } from './onnx-proto';
import {
  actOrderColumns,
  checkStoredLinear,
  linearSlots,
  permuteFloatRows,
  permuteQuantizedColumns,
  permuteQuantizedRows,
  rotaryPermutation,
  transformedSource,
  type ExportInput,
} from './model-parts';
import { bytesOf, type ExportSink } from './sink';
import { ExportUnavailableError, safeFileStem, type ExportAvailability, type ExportReport } from './types';

/** MatMulNBits in onnxruntime 1.30 (CPU/WASM): 2, 4 and 8 bits, blocks a power of two >= 16. */
export const ONNX_BITS = [2, 4, 8];
const MIN_BLOCK = 16;
const MAX_BLOCK = 256;
const PROTOBUF_LIMIT = 2 ** 31 - 1;
export const ONNX_OPSET = 17;

/**
 * The MatMulNBits block size that expresses groups of the run on a row of `cols` inputs: blocks
 * must tile every group (a power of two dividing the group size), or, with a single group per
 * row, any block size (its scale is repeated). The last block may be ragged: onnxruntime takes
 * K as an attribute and n_blocks = ceil(K / block_size).
 */
export function onnxBlockSize(groupSize: number, cols: number): number | null {
  const spec = { bits: 4, groupSize, symmetric: false };
  const g = effectiveGroupSize(spec, cols);
  if (groupCount(spec, cols) === 1) {
    let b = MIN_BLOCK;
    while (b < cols && b < MAX_BLOCK) b *= 2;
    return b;
  }
  let b = 1;
  while (g % (b * 2) === 0 && b * 2 <= MAX_BLOCK) b *= 2;
  return b >= MIN_BLOCK ? b : null;
}

/** B [N, nBlocks, blob], scales [N * nBlocks], zero points packed [N * ceil(nBlocks * bits / 8)]. */
export function packMatMulNBits(q: QuantizedLinear, blockSize: number): { B: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array; nBlocks: number } {
  const bits = q.spec.bits;
  if (!ONNX_BITS.includes(bits)) throw new Error(`MatMulNBits holds 2, 4 or 8 bits, not ${bits}`);
  const K = q.cols;
  const N = q.rows;
  const g = effectiveGroupSize(q.spec, K);
  const nG = groupCount(q.spec, K);
  const nBlocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  const zpBytes = Math.ceil((nBlocks * bits) / 8);
  const B = new Uint8Array(N * nBlocks * blob);
  const scales = new Float32Array(N * nBlocks);
  const zeroPoints = new Uint8Array(N * zpBytes);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < nBlocks; j++) {
      const group = Math.floor((j * blockSize) / g);
      if (group >= nG) throw new Error(`${q.name}: block ${j} starts past the last group`);
      scales[n * nBlocks + j] = q.scales[n * nG + group];
      const zbit = j * bits;
      zeroPoints[n * zpBytes + (zbit >> 3)] |= q.zeros[n * nG + group] << (zbit & 7);
      const base = (n * nBlocks + j) * blob;
      const k1 = Math.min(K, (j + 1) * blockSize);
      for (let k = j * blockSize; k < k1; k++) {
        const bit = (k - j * blockSize) * bits;
        B[base + (bit >> 3)] |= q.codes[n * K + k] << (bit & 7);
      }
    }
  }
  return { B, scales, zeroPoints, nBlocks };
}

export function onnxAvailability(q: QuantizedModel): ExportAvailability {
  const cfg = q.config;
  const base = { format: 'onnx' as const, folder: false, suggestedName: `${safeFileStem(cfg.name)}-${q.spec.bits}bit.onnx` };
  const no = (reason: string): ExportAvailability => ({ ...base, available: false, reason });
  if (!ONNX_BITS.includes(q.spec.bits)) {
    return no(`onnxruntime's MatMulNBits holds 2-, 4- and 8-bit weights; this run used ${q.spec.bits} bits (re-run with 2, 4 or 8 bits)`);
  }
  for (const l of q.linears.values()) {
    const bad = checkStoredLinear(l);
    if (bad) return no(bad);
    const order = l.gIdx ? actOrderColumns(l) : null;
    if (typeof order === 'string') return no(`${order}; MatMulNBits takes groups as runs of consecutive inputs`);
    if (onnxBlockSize(l.spec.groupSize, l.cols) === null) {
      return no(
        `MatMulNBits blocks are powers of two from ${MIN_BLOCK} to ${MAX_BLOCK} inputs with one scale each, and groups of ${effectiveGroupSize(l.spec, l.cols)} ` +
          `(${l.name}, ${l.cols} inputs) are not a whole number of such blocks; use a group size that is a multiple of 16`,
      );
    }
  }
  const est = estimateOnnxBytes(q);
  if (est > PROTOBUF_LIMIT) {
    return no(
      `the model would be about ${(est / 2 ** 30).toFixed(1)} GiB, over protobuf's 2 GiB limit for one .onnx file (external data files are not written)`,
    );
  }
  const fp = cfg.layers * linearRoles(cfg.arch).length - q.linears.size;
  const actOrder = [...q.linears.values()].filter((l) => l.gIdx).length;
  return {
    ...base,
    available: true,
    reason:
      `every quantized Linear as com.microsoft MatMulNBits (${q.spec.bits}-bit, stored codes, scales and zero points), the rest in standard ONNX opset ${ONNX_OPSET}` +
      (fp > 0 ? `; ${fp} Linears the method left in full precision as f32 MatMul` : '') +
      (actOrder > 0 ? `; ${actOrder} GPTQ act-order Linears read their inputs through a Gather into group order` : ''),
  };
}

function estimateOnnxBytes(q: QuantizedModel): number {
  const cfg = q.config;
  let bytes = cfg.vocab * cfg.hidden * 4 * (cfg.tiedEmbeddings ? 1 : 2);
  for (const l of q.linears.values()) bytes += (l.rows * l.cols * l.spec.bits) / 8 + l.scales.length * 5;
  const mlpMatrices = cfg.arch === 'opt' ? 2 : 3;
  const perLayerLinears = 2 * cfg.hidden * (cfg.heads + cfg.kvHeads) * cfg.headDim + mlpMatrices * cfg.hidden * cfg.intermediate;
  if (cfg.arch === 'opt') bytes += (cfg.maxPositions + (cfg.positionOffset ?? 0)) * cfg.hidden * 4;
  bytes += Math.max(0, cfg.layers * perLayerLinears - [...q.linears.values()].reduce((a, l) => a + l.rows * l.cols, 0)) * 4;
  return bytes;
}

/** Builds the graph; weights are lazy initializers read from the transformed source on write. */
export function buildOnnxGraph(inp: ExportInput): GraphBuilder {
  const cfg: ModelConfig = inp.quantized.config;
  const src = transformedSource(inp);
  const gb = new GraphBuilder();
  const opt = cfg.arch === 'opt';
  const names = globalNames(cfg.arch);
  const H = cfg.hidden;
  const hd = cfg.headDim;
  const g = cfg.heads / cfg.kvHeads;

  const f32Weight = (name: string, dims: number[], get: () => Promise<Float32Array>): string =>
    gb.weight({ name, dims, dataType: OnnxType.FLOAT, byteLength: dims.reduce((a, b) => a * b, 4), bytes: async () => bytesOf(await get()) });

  // Shapes and positions.
  const ids = 'input_ids';
  const seq = gb.op('Gather', [gb.op('Shape', [ids]), gb.constI64([1], [])], [attr.int('axis', 0)]);
  const zero = gb.constI64([0], []);
  const one = gb.constI64([1], []);
  const pos = gb.op('Range', [zero, seq, one]);
  const posF = gb.op('Cast', [pos], [attr.int('to', OnnxType.FLOAT)]);
  // RoPE tables (LLaMA family); OPT adds learned position embeddings instead.
  let cos = '';
  let sin = '';
  if (!opt) {
    // partial rotary: the pass-through pairs at frequency 0 (the loader's q/k layout, ModelConfig.rotaryDim)
    const invFreq = Array.from(ropeFrequencies(hd, cfg.ropeTheta, cfg.ropeScaling, cfg.rotaryDim));
    const freqs = gb.op('Mul', [gb.op('Unsqueeze', [posF, gb.constI64([1])]), gb.constF32(invFreq)]);
    const emb = gb.op('Concat', [freqs, freqs], [attr.int('axis', -1)]);
    cos = gb.op('Cos', [emb]);
    sin = gb.op('Sin', [emb]);
  }
  // [S, S]: key j of query i is masked past i (causal) and, on a windowed layer, at i - j >= window
  // (Mistral's sliding_window; Qwen2/3's and SmolLM3's on their windowed layers), as transformers masks
  const rows = gb.op('Unsqueeze', [pos, gb.constI64([1])]);
  const masked = gb.op('Less', [rows, pos]);
  const additive = (m: string) => gb.op('Where', [m, gb.constF32([-3e38], []), gb.constF32([0], [])]);
  // each built when a layer first reads it, so a graph holds only the masks its layers use
  const once = (build: () => string): (() => string) => {
    let node: string | undefined;
    return () => (node ??= build());
  };
  const causalMask = once(() => additive(masked));
  // (read only by the layers windowedLayer names, which implies cfg.slidingWindow)
  const windowMask = once(() => additive(gb.op('Or', [masked, gb.op('Less', [gb.op('Add', [pos, gb.constI64([cfg.slidingWindow! - 1], [])]), rows])])));
  const eps = opt ? '' : gb.constF32([cfg.normEps], []); // OPT's LayerNormalization takes it as an attribute
  const attnScale = gb.constF32([1 / Math.sqrt(hd)], []);
  const halves = opt ? '' : gb.constI64([hd / 2, hd / 2]);

  // over the last axis, of width `dim` (the hidden size; a head's for Qwen3's q_norm / k_norm)
  const rmsNorm = (x: string, weightName: string, dim = H): string => {
    const ms = gb.op('ReduceMean', [gb.op('Mul', [x, x])], [attr.ints('axes', [-1]), attr.int('keepdims', 1)]);
    const rstd = gb.op('Reciprocal', [gb.op('Sqrt', [gb.op('Add', [ms, eps])])]);
    return gb.op('Mul', [gb.op('Mul', [x, rstd]), f32Weight(weightName, [dim], () => src.get(weightName))]);
  };

  // OPT: LayerNorm with weight and bias (ONNX LayerNormalization, opset 17).
  const layerNorm = (x: string, prefix: string): string =>
    gb.op(
      'LayerNormalization',
      [x, f32Weight(`${prefix}.weight`, [H], () => src.get(`${prefix}.weight`)), f32Weight(`${prefix}.bias`, [H], () => src.get(`${prefix}.bias`))],
      [attr.int('axis', -1), attr.float('epsilon', cfg.normEps)],
    );
  const norm = (x: string, prefix: string): string => (opt ? layerNorm(x, prefix) : rmsNorm(x, `${prefix}.weight`));

  const rope = (x: string): string => {
    const [x1, x2] = gb.ops('Split', [x, halves], 2, [attr.int('axis', -1)]);
    const rotated = gb.op('Concat', [gb.op('Neg', [x2]), x1], [attr.int('axis', -1)]);
    return gb.op('Add', [gb.op('Mul', [x, cos]), gb.op('Mul', [rotated, sin])]);
  };

  const slots = new Map(linearSlots(inp.quantized).map((s) => [s.name, s]));
  // Act-order inputs in group order, one Gather per input and order (q, k and v share theirs).
  const gathered = new Map<string, string>();
  const inGroupOrder = (x: string, order: Int32Array): string => {
    const key = `${x}|${order.join(',')}`;
    let y = gathered.get(key);
    if (!y) gathered.set(key, (y = gb.op('Gather', [x, gb.constI64(Array.from(order), [order.length])], [attr.int('axis', -1)])));
    return y;
  };
  const linear = (input: string, name: string): string => {
    const slot = slots.get(name)!;
    const perm = rotaryPermutation(cfg, slot.role, 'half');
    let x = input;
    let y: string;
    if (slot.q) {
      const q = perm ? permuteQuantizedRows(slot.q, perm) : slot.q;
      // GPTQ act-order: x·Wᵀ = x[:, order]·W[:, order]ᵀ, and in that order every group is a run of consecutive inputs.
      const order = q.gIdx ? actOrderColumns(q) : null;
      if (typeof order === 'string') throw new ExportUnavailableError('onnx', order);
      if (order) x = inGroupOrder(input, order);
      const block = onnxBlockSize(q.spec.groupSize, q.cols)!;
      // Packed once when the first of its three initializers is written, dropped after the last.
      let cache: ReturnType<typeof packMatMulNBits> | null = null;
      let uses = 0;
      const packed = () => {
        const p = (cache ??= packMatMulNBits(order ? permuteQuantizedColumns(q, order) : q, block));
        if (++uses === 3) cache = null;
        return p;
      };
      const nBlocks = Math.ceil(q.cols / block);
      const blob = (block * q.spec.bits) / 8;
      const zpBytes = Math.ceil((nBlocks * q.spec.bits) / 8);
      // Packing is cheap and done per initializer at write time, so nothing is held twice.
      const lazy = (
        suffix: string,
        dims: number[],
        dataType: number,
        pick: (p: ReturnType<typeof packMatMulNBits>) => ArrayBufferView,
        bytesPer: number,
      ): LazyInitializer => ({
        name: `${name}.${suffix}`,
        dims,
        dataType,
        byteLength: dims.reduce((a, b) => a * b, bytesPer),
        bytes: async () => bytesOf(pick(packed())),
      });
      y = gb.op(
        'MatMulNBits',
        [
          x,
          gb.weight(lazy('qweight', [q.rows, nBlocks, blob], OnnxType.UINT8, (p) => p.B, 1)),
          gb.weight(lazy('scales', [q.rows * nBlocks], OnnxType.FLOAT, (p) => p.scales, 4)),
          gb.weight(lazy('qzeros', [q.rows * zpBytes], OnnxType.UINT8, (p) => p.zeroPoints, 1)),
        ],
        [attr.int('K', q.cols), attr.int('N', q.rows), attr.int('bits', q.spec.bits), attr.int('block_size', block)],
        'com.microsoft',
      );
    } else {
      const shape = src.shapes.get(`${name}.weight`)!;
      const [rows, cols] = shape;
      y = gb.op('MatMul', [
        x,
        f32Weight(`${name}.weight_t`, [cols, rows], async () => {
          let w = await src.get(`${name}.weight`);
          if (perm) w = permuteFloatRows(w, cols, perm);
          const t = new Float32Array(w.length);
          for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
          return t;
        }),
      ]);
    }
    if (linearHasBias(cfg, slot.role)) {
      const rows = src.shapes.get(`${name}.weight`)![0];
      y = gb.op('Add', [
        y,
        f32Weight(`${name}.bias`, [rows], async () => {
          const b = await src.get(`${name}.bias`);
          return perm ? permuteFloatRows(b, 1, perm) : b;
        }),
      ]);
    }
    return y;
  };

  /** A [rows, cols] weight stored transposed, for x · Wᵀ as a MatMul. */
  const transposed = (name: string, rows: number, cols: number): string =>
    f32Weight(`${name}_t`, [cols, rows], async () => {
      const w = await src.get(name);
      const t = new Float32Array(w.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
      return t;
    });
  // OPT's embedding may be narrower than the blocks (opt-350m): project_in after it, project_out before the head
  const E = cfg.embedDim ?? H;
  let x = gb.op('Gather', [f32Weight(names.embed, [cfg.vocab, E], () => src.get(names.embed)), ids], [attr.int('axis', 0)]);
  if (cfg.embedDim !== undefined) x = gb.op('MatMul', [x, transposed(names.projectIn!, H, E)]);
  if (names.positions) {
    // OPT: row = position + offset (2) of the learned table, positions 0..S-1 (no padding).
    const rows = cfg.maxPositions + (cfg.positionOffset ?? 0);
    const posTable = f32Weight(names.positions, [rows, H], () => src.get(names.positions!));
    const posIds = gb.op('Add', [pos, gb.constI64([cfg.positionOffset ?? 0], [])]);
    x = gb.op('Add', [x, gb.op('Gather', [posTable, posIds], [attr.int('axis', 0)])]);
  }
  for (let l = 0; l < cfg.layers; l++) {
    const norms = normNames(cfg.arch, l);
    // post-norm OPT: q, k and v read the block's input, each norm follows its residual sum
    const n1 = cfg.postNorm ? x : norm(x, norms.attn);
    const lin = (role: LinearRole, input: string) => linear(input, linearName(cfg.arch, l, role));
    const heads5 = (t: string, groups: number) =>
      gb.op('Transpose', [gb.op('Reshape', [t, gb.constI64([0, 0, cfg.kvHeads, groups, hd])])], [attr.ints('perm', [0, 2, 3, 1, 4])]);
    // (OPT has no RoPE; SmolLM3's NoPE layers turn nothing)
    const rotary = (t: string) => (opt || cfg.noRopeLayers?.includes(l) ? t : rope(t));
    // Qwen3: each head of q and k normalised (the last axis of the head layout) before RoPE
    const hn = cfg.qkNorm ? headNormNames(l) : null;
    const headNorm = (t: string, name?: string) => (name ? rmsNorm(t, `${name}.weight`, hd) : t);
    const q = rotary(headNorm(heads5(lin('q', n1), g), hn?.q)); // [B, kvH, g, S, hd]
    const k = rotary(headNorm(heads5(lin('k', n1), 1), hn?.k)); // [B, kvH, 1, S, hd]
    const v = heads5(lin('v', n1), 1);
    const kT = gb.op('Transpose', [k], [attr.ints('perm', [0, 1, 2, 4, 3])]);
    const scores = gb.op('Add', [gb.op('Mul', [gb.op('MatMul', [q, kT]), attnScale]), windowedLayer(cfg, l) ? windowMask() : causalMask()]);
    const probs = gb.op('Softmax', [scores], [attr.int('axis', -1)]);
    const ctx = gb.op('Transpose', [gb.op('MatMul', [probs, v])], [attr.ints('perm', [0, 3, 1, 2, 4])]);
    const attnOut = gb.op('Reshape', [ctx, gb.constI64([0, 0, cfg.heads * hd])]);
    x = gb.op('Add', [x, lin('o', attnOut)]);
    if (cfg.postNorm) x = norm(x, norms.attn);
    const n2 = cfg.postNorm ? x : norm(x, norms.mlp);
    if (opt) {
      x = gb.op('Add', [x, lin('fc2', gb.op('Relu', [lin('fc1', n2)]))]);
      if (cfg.postNorm) x = norm(x, norms.mlp);
    } else {
      const gate = lin('gate', n2);
      const up = lin('up', n2);
      const act = gb.op('Mul', [gb.op('Mul', [gate, gb.op('Sigmoid', [gate])]), up]);
      x = gb.op('Add', [x, lin('down', act)]);
    }
  }
  let h = hasFinalNorm(cfg) ? norm(x, names.finalNorm) : x;
  if (cfg.embedDim !== undefined) h = gb.op('MatMul', [h, transposed(names.projectOut!, E, H)]);
  const headT = cfg.tiedEmbeddings ? gb.op('Transpose', [names.embed], [attr.ints('perm', [1, 0])]) : transposed(names.lmHead, cfg.vocab, E);
  gb.rename(gb.op('MatMul', [h, headT]), 'logits');
  return gb;
}

const STUDIO = 'webgpu-quant-studio';

export async function exportOnnx(inp: ExportInput, sink: ExportSink, opts: { fileName?: string } = {}): Promise<ExportReport> {
  const avail = onnxAvailability(inp.quantized);
  if (!avail.available) throw new ExportUnavailableError('onnx', avail.reason);
  const cfg = inp.quantized.config;
  const gb = buildOnnxGraph(inp);
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const tensorType = (elemType: number, dims: (number | string)[]) => ({ tensorType: { elemType, shape: { dim: dims.map(dim) } } });
  const spec = inp.quantized.spec;
  const graphHead = encodeGraph({
    name: safeFileStem(cfg.name),
    node: gb.nodes,
    initializer: gb.constants,
    input: [{ name: 'input_ids', type: tensorType(OnnxType.INT64, ['batch', 'sequence']) }],
    output: [{ name: 'logits', type: tensorType(OnnxType.FLOAT, ['batch', 'sequence', cfg.vocab]) }],
  });
  // One GraphProto field whose parts (repeated fields only) are encoded and written one at a time:
  // its length is known up front from each initializer's byte length.
  const weightParts = gb.weights.map((t) => ({ t, size: initializerPartSize(t) }));
  const graphBytes = graphHead.byteLength + weightParts.reduce((a, p) => a + p.size, 0);
  if (graphBytes > PROTOBUF_LIMIT) throw new ExportUnavailableError('onnx', `the graph is ${graphBytes} bytes, over protobuf's 2 GiB limit`);
  const header = encodeModel({
    irVersion: 8,
    producerName: STUDIO,
    producerVersion: '0.1.0',
    opsetImport: [
      { domain: '', version: ONNX_OPSET },
      { domain: 'com.microsoft', version: 1 },
    ],
    docString: `${cfg.name}: ${spec.bits}-bit ${spec.symmetric ? 'symmetric' : 'asymmetric'} weights, group size ${spec.groupSize || 'per channel'}; full-sequence scoring, no KV cache`,
    metadataProps: [
      { key: 'source_model', value: inp.model.source },
      { key: 'quantization', value: JSON.stringify(spec) },
      cfg.arch === 'opt'
        ? { key: 'positions', value: `learned (OPT), row = position + ${cfg.positionOffset ?? 0}` }
        : { key: 'rope', value: 'half-split (Q/K rows permuted from interleaved where the source was interleaved)' },
    ],
  });
  const fileName = opts.fileName ?? avail.suggestedName;
  const w = await sink.createFile(fileName);
  await w.write(header);
  await w.write(fieldHeader(MODEL_GRAPH_FIELD, graphBytes));
  await w.write(graphHead);
  for (const { t, size } of weightParts) {
    const rawData = await t.bytes();
    if (rawData.byteLength !== t.byteLength) throw new Error(`${t.name}: ${rawData.byteLength} bytes, expected ${t.byteLength}`);
    const part = encodeGraph({ initializer: [{ name: t.name, dims: t.dims, dataType: t.dataType, rawData }] });
    if (part.byteLength !== size) throw new Error(`${t.name}: encoded ${part.byteLength} bytes, expected ${size}`);
    await w.write(part);
  }
  await w.close();
  return { format: 'onnx', files: [{ name: fileName, bytes: w.written }], notes: [avail.reason] };
}
