// GPTQ-packed Hugging Face folder, the layout AutoGPTQ wrote and transformers (optimum / GPTQModel)
// and vLLM read: per quantized Linear
//   qweight int32 [in·bits/32, out]   codes packed along the input dimension, little-endian bit
//                                     stream per output column (3-bit codes straddle words, as GPTQ does)
//   qzeros  int32 [groups, out·bits/32] zero points packed along the output dimension
//   scales  fp16  [groups, out]
//   g_idx   int32 [in]                input i -> group i // group_size (desc_act false), or the
//                                     stored act-order groups (desc_act true: GPTQ's act-order)
// checkpoint_format "gptq" (v1, what transformers and vLLM read by default) stores zero − 1 and
// readers add 1 back, so a zero point of 0 cannot be stored; "gptq_v2" (GPTQModel) stores zeros
// as they are. Both are offered; v1 is refused, with the reason, when some zero point is 0.
// AutoGPTQ's buffers are [in // 32 · bits, out] and [groups, out // 32 · bits]: Linears whose in or
// out is not a multiple of 32 cannot be held and stay nn.Linear (their dequantized weights, listed
// in quantization_config.modules_in_block_to_quantize by omission).
import { hasFinalNorm, type Tokenizer } from '../core/model-config';
import { globalNames, headNormNames, linearHasBias, linearName, linearRoles, normNames, type LinearRole } from '../core/tensor-names';
import { effectiveGroupSize, groupCount, type QuantizedLinear } from '../core/quant-spec';
import type { QuantizedModel } from '../quant/quantized-model';
import { packCodes } from '../quant/pack';
import { hfArchitecture, hfFolderProblem, writeHfSideFiles } from './hf-files';
import {
  checkStoredLinear,
  dequantizeLinear,
  linearSlots,
  permuteFloatRows,
  permuteQuantizedRows,
  hfRowOrder,
  transformedSource,
  type ExportInput,
} from './model-parts';
import { FUSED_LINEARS } from '../formats/fused-linears';
import { fusePhi3Tensors } from './phi3-fused';
import { writeSafetensorsStream, type TensorToWrite } from './safetensors-writer';
import type { ExportSink } from './sink';
import { ExportUnavailableError, safeFileStem, type ExportAvailability, type ExportReport, type FloatFallback } from './types';

export type GptqCheckpointFormat = 'gptq' | 'gptq_v2';

export interface GptqPacked {
  /** [in·bits/32, out] */
  qweight: Int32Array;
  /** [groups, ceil(out·bits/32)] */
  qzeros: Int32Array;
  /** [groups, out], float (written as fp16) */
  scales: Float32Array;
  /** [in] */
  gIdx: Int32Array;
  groups: number;
}

/** GPTQ packing of one stored Linear ([out, in] codes, [out, groups] scales/zeros). */
export function packGptqLinear(q: QuantizedLinear, format: GptqCheckpointFormat): GptqPacked {
  const { rows: out, cols: inp } = q;
  const bits = q.spec.bits;
  const nG = groupCount(q.spec, inp);
  const g = effectiveGroupSize(q.spec, inp);
  const wordsPerCol = Math.ceil((inp * bits) / 32);
  const qweight = new Int32Array(wordsPerCol * out);
  for (let j = 0; j < out; j++) {
    const words = packCodes(q.codes.subarray(j * inp, (j + 1) * inp), bits);
    for (let w = 0; w < wordsPerCol; w++) qweight[w * out + j] = words[w] | 0;
  }
  const zeroWords = Math.ceil((out * bits) / 32);
  const qzeros = new Int32Array(nG * zeroWords);
  const scales = new Float32Array(nG * out);
  const shift = format === 'gptq' ? 1 : 0;
  for (let gi = 0; gi < nG; gi++) {
    const z = new Uint8Array(out);
    for (let j = 0; j < out; j++) {
      const v = q.zeros[j * nG + gi] - shift;
      if (v < 0) throw new Error(`${q.name}: zero point 0 cannot be stored in the v1 GPTQ format (zero − 1)`);
      z[j] = v;
      scales[gi * out + j] = q.scales[j * nG + gi];
    }
    qzeros.set(packCodes(z, bits), gi * zeroWords);
  }
  const gIdx = q.gIdx ? Int32Array.from(q.gIdx) : Int32Array.from({ length: inp }, (_, i) => Math.floor(i / g));
  return { qweight, qzeros, scales, gIdx, groups: nG };
}

function shapeProblem(q: QuantizedLinear): string | null {
  if (q.cols % 32 !== 0 || q.rows % 32 !== 0) {
    return `[${q.rows}, ${q.cols}]: GPTQ buffers are qweight [in // 32 · bits, out] and qzeros [groups, out // 32 · bits], so in and out must be multiples of 32`;
  }
  return null;
}

interface GptqPlan {
  floatTensors: FloatFallback[];
  /** Roles held as GPTQ (the same in every block: shapes repeat). */
  quantizedRoles: Set<LinearRole>;
}

function plan(q: QuantizedModel, tokenizer: Tokenizer | undefined, format: GptqCheckpointFormat): GptqPlan | { reason: string } {
  const hf = hfFolderProblem({ config: q.config, tokenizer });
  if (hf) return { reason: hf };
  const floatTensors: FloatFallback[] = [];
  const quantizedRoles = new Set<LinearRole>();
  const floatRoles = new Set<LinearRole>();
  let zeroZeros = 0;
  const zeroLayers = new Set<string>();
  for (const slot of linearSlots(q)) {
    const l = slot.q;
    if (!l) {
      floatRoles.add(slot.role);
      continue;
    }
    const bad = checkStoredLinear(l);
    if (bad) return { reason: bad };
    const sp = shapeProblem(l);
    if (sp) {
      floatTensors.push({ tensor: `${l.name}.weight`, why: sp });
      floatRoles.add(slot.role);
      continue;
    }
    quantizedRoles.add(slot.role);
    for (const z of l.zeros) {
      if (z === 0) {
        zeroZeros++;
        zeroLayers.add(l.name);
      }
    }
  }
  if (hfArchitecture(q.config) === 'Phi3ForCausalLM') {
    const fusedProblem = planPhi3Fused(q, quantizedRoles, floatTensors);
    if (fusedProblem) return { reason: fusedProblem };
  }
  if (!quantizedRoles.size) return { reason: `no quantized Linear has a GPTQ-compatible shape (${floatTensors[0]?.why ?? 'none quantized'})` };
  const mixed = [...quantizedRoles].filter((r) => floatRoles.has(r));
  if (mixed.length) {
    return { reason: `the ${mixed.join(', ')} projection is quantized in some blocks and not in others, and GPTQ configs choose modules per block type` };
  }
  if (format === 'gptq' && zeroZeros > 0) {
    return {
      reason:
        `${zeroZeros} groups (in ${zeroLayers.size} Linears, e.g. ${[...zeroLayers][0]}) have zero point 0, which the v1 "gptq" format cannot store ` +
        '(it stores zero − 1 and readers add 1); export checkpoint_format "gptq_v2" instead (read by GPTQModel)',
    };
  }
  return { floatTensors, quantizedRoles };
}

/**
 * Phi3ForCausalLM's fused Linears are packed whole: a group with any part kept as float is kept as
 * float throughout (its quantized parts as their exact dequantized weights), and the parts of a
 * packed one must share their act-order groups (one g_idx). Returns why it cannot be written, or null.
 */
function planPhi3Fused(q: QuantizedModel, quantizedRoles: Set<LinearRole>, floatTensors: FloatFallback[]): string | null {
  for (const { module, roles } of FUSED_LINEARS) {
    const packed = roles.filter((r) => quantizedRoles.has(r));
    if (packed.length === roles.length) {
      for (let layer = 0; layer < q.config.layers; layer++) {
        const g = roles.map((r) => q.linears.get(linearName(q.config.arch, layer, r))!.gIdx);
        if (g.some((x) => (x === undefined) !== (g[0] === undefined) || (x && g[0] && !x.every((v, i) => v === g[0]![i]))))
          return `block ${layer}'s ${roles.join(', ')} have different act-order groups (g_idx), which Phi-3's fused ${module} cannot hold (one g_idx); run GPTQ without act-order`;
      }
    } else if (packed.length) {
      const why = `fused with ${roles.filter((r) => !quantizedRoles.has(r)).join(', ')} into ${module}, which stays float`;
      for (const r of packed) {
        quantizedRoles.delete(r);
        for (let layer = 0; layer < q.config.layers; layer++) floatTensors.push({ tensor: `${linearName(q.config.arch, layer, r)}.weight`, why });
      }
    }
  }
  return null;
}

export function gptqAvailability(q: QuantizedModel, tokenizer?: Tokenizer, format: GptqCheckpointFormat = 'gptq'): ExportAvailability {
  const base = {
    format: format === 'gptq' ? ('gptq' as const) : ('gptq-v2' as const),
    folder: true,
    suggestedName: `${safeFileStem(q.config.name)}-gptq-${q.spec.bits}bit${format === 'gptq_v2' ? '-v2' : ''}`,
  };
  const p = plan(q, tokenizer, format);
  if ('reason' in p) return { ...base, available: false, reason: p.reason };
  // Linears kept as float are listed in modules_in_block_to_quantize, which only transformers'
  // loader (optimum / GPTQModel) reads; AutoGPTQ and vLLM expect every Linear of a block packed.
  const readers =
    format === 'gptq_v2'
      ? 'GPTQModel (and transformers through it)'
      : p.floatTensors.length
        ? 'transformers (optimum/GPTQModel) only: AutoGPTQ and vLLM expect every Linear packed and cannot load the ones kept as float'
        : 'transformers (optimum/GPTQModel), vLLM and AutoGPTQ';
  let reason = `GPTQ ${q.spec.bits}-bit, checkpoint_format "${format}" (read by ${readers}): stored codes and zero points exactly, scales as fp16`;
  if (p.floatTensors.length) {
    const roles = [...new Set(p.floatTensors.map((f) => f.tensor.replace(/^model\.(decoder\.)?layers\.\d+\./, '').replace(/\.weight$/, '')))];
    reason += `. Not GPTQ-packed (kept as float Linears holding the exact dequantized weights): ${roles.join(', ')} ${p.floatTensors[0].why.replace(/^\[[^\]]*\]: /, '— ')}`;
  }
  return { ...base, available: true, reason, floatTensors: p.floatTensors };
}

export async function exportGptq(inp: ExportInput, sink: ExportSink, opts: { checkpointFormat?: GptqCheckpointFormat } = {}): Promise<ExportReport> {
  const format = opts.checkpointFormat ?? 'gptq';
  const q = inp.quantized;
  const avail = gptqAvailability(q, inp.model.tokenizer, format);
  const p = plan(q, inp.model.tokenizer, format);
  if (!avail.available || 'reason' in p) throw new ExportUnavailableError(avail.format, avail.reason);
  const cfg = q.config;
  const src = transformedSource(inp);
  const tensors: TensorToWrite[] = [];
  const f32 = (name: string, fromName = name, perm: Int32Array | null = null): TensorToWrite => {
    const shape = src.shapes.get(fromName)!;
    return {
      name,
      dtype: 'F32',
      shape,
      data: async () => {
        const w = await src.get(fromName);
        return perm ? permuteFloatRows(w, shape.length > 1 ? shape[1] : 1, perm) : w;
      },
    };
  };
  const g = globalNames(cfg.arch);
  const opt = cfg.arch === 'opt';
  tensors.push(f32(g.embed));
  if (g.positions) tensors.push(f32(g.positions));
  for (const slot of linearSlots(inp.quantized)) {
    const perm = hfRowOrder(cfg, slot.role);
    if (slot.role === 'q') {
      const n = normNames(cfg.arch, slot.layer);
      tensors.push(f32(`${n.attn}.weight`), f32(`${n.mlp}.weight`));
      // OPT's LayerNorms have biases.
      if (opt) tensors.push(f32(`${n.attn}.bias`), f32(`${n.mlp}.bias`));
      if (cfg.qkNorm) {
        const h = headNormNames(slot.layer);
        tensors.push(f32(`${h.q}.weight`), f32(`${h.k}.weight`));
      }
    }
    if (slot.q && p.quantizedRoles.has(slot.role)) {
      const stored = perm ? permuteQuantizedRows(slot.q, perm) : slot.q;
      // Packed once for its four tensors, dropped after the last.
      let cache: GptqPacked | null = null;
      const packed = () => (cache ??= packGptqLinear(stored, format));
      const { rows: out, cols: inF } = stored;
      const nG = groupCount(stored.spec, inF);
      tensors.push(
        { name: `${slot.name}.qweight`, dtype: 'I32', shape: [(inF * stored.spec.bits) / 32, out], data: async () => packed().qweight },
        { name: `${slot.name}.qzeros`, dtype: 'I32', shape: [nG, (out * stored.spec.bits) / 32], data: async () => packed().qzeros },
        { name: `${slot.name}.scales`, dtype: 'F16', shape: [nG, out], data: async () => packed().scales },
        {
          name: `${slot.name}.g_idx`,
          dtype: 'I32',
          shape: [inF],
          data: async () => {
            const r = packed().gIdx;
            cache = null;
            return r;
          },
        },
      );
    } else if (slot.q) {
      const stored = slot.q;
      tensors.push({
        name: `${slot.name}.weight`,
        dtype: 'F32',
        shape: [stored.rows, stored.cols],
        data: async () => {
          const w = dequantizeLinear(stored);
          return perm ? permuteFloatRows(w, stored.cols, perm) : w;
        },
      });
    } else {
      tensors.push(f32(`${slot.name}.weight`, `${slot.name}.weight`, perm));
    }
    if (linearHasBias(cfg, slot.role)) tensors.push(f32(`${slot.name}.bias`, `${slot.name}.bias`, perm));
  }
  if (hasFinalNorm(cfg)) {
    tensors.push(f32(`${g.finalNorm}.weight`));
    if (opt) tensors.push(f32(`${g.finalNorm}.bias`));
  }
  // OPT's projections where its embedding is narrower than the blocks (opt-350m)
  if (cfg.embedDim !== undefined) tensors.push(f32(g.projectIn!), f32(g.projectOut!));
  if (!cfg.tiedEmbeddings) tensors.push(f32(g.lmHead));

  // Module names inside a block (self_attn.q_proj, mlp.down_proj, fc1...), as quantization configs
  // list them; Phi-3's fused ones (self_attn.qkv_proj, mlp.gate_up_proj) for their parts.
  const phi3 = hfArchitecture(cfg) === 'Phi3ForCausalLM';
  const blockRoles: LinearRole[] = linearRoles(cfg.arch);
  const moduleOf = (r: LinearRole) =>
    (phi3 && FUSED_LINEARS.find((f) => f.roles.includes(r))?.module) || linearName(cfg.arch, 0, r).replace(/^model\.(decoder\.)?layers\.0\./, '');
  const quantizedModules = [...new Set(blockRoles.filter((r) => p.quantizedRoles.has(r)).map(moduleOf))];
  const partial = p.quantizedRoles.size < blockRoles.length;
  const quantizationConfig: Record<string, unknown> = {
    quant_method: 'gptq',
    bits: q.spec.bits,
    group_size: q.spec.groupSize > 0 ? q.spec.groupSize : -1,
    // act-order runs store each input column's group (g_idx); readers then take g_idx as given
    desc_act: [...q.linears.values()].some((l) => !!l.gIdx),
    sym: q.spec.symmetric,
    true_sequential: true,
    static_groups: false,
    damp_percent: 0.01,
    checkpoint_format: format,
    ...(partial ? { modules_in_block_to_quantize: [quantizedModules] } : {}),
  };
  const w = await sink.createFile('model.safetensors');
  await writeSafetensorsStream(w, phi3 ? fusePhi3Tensors(tensors) : tensors, { format: 'pt', quantized_by: 'webgpu-quant-studio', source: inp.model.source });
  await w.close();
  const files = [{ name: 'model.safetensors', bytes: w.written }];
  files.push(...(await writeHfSideFiles(sink, inp.model, cfg, { torch_dtype: 'float16', quantization_config: quantizationConfig })));
  const notes = [avail.reason, ...(avail.floatTensors ?? []).map((f) => `${f.tensor}: float (${f.why})`)];
  return { format: avail.format, files, notes };
}
