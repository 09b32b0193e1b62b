// Reads a GPTQ folder back (the project's safetensors reader with integer tensors) and unpacks it
// into stored codes, scales and zero points: the round-trip check of gptq.ts, and a loader that
// evaluates the folder through the studio's own quantized path. A Phi3ForCausalLM folder's fused
// Linears are split into their parts and, with partial rotary, q's and k's rows put in the engine's
// order, as the folder loader does for float checkpoints.
import type { LoadedModel, ModelConfig, WeightSource } from '../core/model-config';
import { readJson, type ByteSource } from '../formats/byte-source';
import { FormatError } from '../formats/errors';
import { parseHfConfig } from '../formats/hf-config';
import { baseName } from '../formats/hf-folder';
import { HfTokenizer } from '../formats/hf-tokenizer';
import { f16ToF32 } from '../formats/dtype';
import { readSafetensorsBytes, readSafetensorsHeaderWithIntegers, readSafetensorsTensor } from '../formats/safetensors';
import { globalNames, linearName, linearRoles } from '../core/tensor-names';
import { effectiveGroupSize, type QuantizedLinear, type QuantSpec } from '../core/quant-spec';
import { unpackCodes } from '../quant/pack';
import type { QuantizedModel } from '../quant/quantized-model';
import { fusedParts, fusesLinears } from '../formats/fused-linears';
import { engineTensors } from '../formats/engine-tensors';
import { isPartialRotary, rotaryRowSource } from '../formats/partial-rotary';
import type { TensorEntry } from '../formats/weight-source';
import { linearSlots, dequantizeLinear, permuteQuantizedRows } from './model-parts';

export interface GptqFolder {
  /** Dequantized view: every tensor as f32 (Linears from their unpacked codes). */
  model: LoadedModel;
  quantized: QuantizedModel;
  checkpointFormat: string;
}

export async function readGptqFolder(files: ByteSource[]): Promise<GptqFolder> {
  const byName = new Map(files.map((f) => [baseName(f.name), f]));
  const need = (n: string) =>
    byName.get(n) ??
    (() => {
      throw new FormatError(n, 'is missing', 'Select the whole exported folder');
    })();
  const configJson = (await readJson(need('config.json'))) as Record<string, unknown>;
  const config = parseHfConfig(configJson, 'config.json', 'gptq');
  const qc = configJson.quantization_config as { bits: number; group_size: number; sym: boolean; desc_act: boolean; checkpoint_format?: string };
  if (!qc || (qc as { quant_method?: string }).quant_method !== 'gptq')
    throw new FormatError('config.json', 'has no GPTQ quantization_config', 'Not a GPTQ folder');
  const format = qc.checkpoint_format ?? 'gptq';
  const spec: QuantSpec = { bits: qc.bits, groupSize: qc.group_size === -1 ? 0 : qc.group_size, symmetric: qc.sym };
  const file = await readSafetensorsHeaderWithIntegers(need('model.safetensors'));
  const int32 = async (name: string) => {
    const b = await readSafetensorsBytes(file, name);
    return new Int32Array(b.slice().buffer);
  };
  const linears = new Map<string, QuantizedLinear>();
  // Phi3ForCausalLM's fused qkv_proj / gate_up_proj are unpacked whole, then split into their parts
  const modules = fusesLinears(config) ? fusedModules(config) : linearSlots({ config, spec, linears: new Map(), overrides: new Map() }).map((s) => s.name);
  for (const name of modules) {
    const qw = file.tensors.get(`${name}.qweight`);
    if (!qw) continue;
    const out = qw.shape[1];
    const inp = file.tensors.get(`${name}.g_idx`)!.shape[0];
    const words = qw.shape[0];
    const qweight = await int32(`${name}.qweight`);
    const codes = new Uint8Array(out * inp);
    const col = new Uint32Array(words);
    for (let j = 0; j < out; j++) {
      for (let w = 0; w < words; w++) col[w] = qweight[w * out + j];
      codes.set(unpackCodes(col, spec.bits, inp), j * inp);
    }
    const scalesT = f16ToF32(await readSafetensorsBytes(file, `${name}.scales`));
    const nG = scalesT.length / out;
    const qzeros = await int32(`${name}.qzeros`);
    const zw = qzeros.length / nG;
    const scales = new Float32Array(out * nG);
    const zeros = new Float32Array(out * nG);
    for (let gi = 0; gi < nG; gi++) {
      const z = unpackCodes(new Uint32Array(qzeros.buffer, gi * zw * 4, zw), spec.bits, out);
      for (let j = 0; j < out; j++) {
        zeros[j * nG + gi] = z[j] + (format === 'gptq' ? 1 : 0);
        scales[j * nG + gi] = scalesT[gi * out + j];
      }
    }
    const gIdx = await int32(`${name}.g_idx`);
    const g = effectiveGroupSize(spec, inp);
    for (let i = 0; i < inp; i++) {
      const ok = qc.desc_act ? gIdx[i] >= 0 && gIdx[i] < nG : gIdx[i] === Math.floor(i / g);
      if (!ok)
        throw new FormatError(
          'model.safetensors',
          `g_idx[${i}] is ${gIdx[i]}`,
          qc.desc_act ? `Groups run from 0 to ${nG - 1}` : `desc_act is false: it must be ${Math.floor(i / g)}`,
          `${name}.g_idx`,
        );
    }
    const l: QuantizedLinear = { name, rows: out, cols: inp, spec, codes, scales, zeros, ...(qc.desc_act ? { gIdx: Uint32Array.from(gIdx) } : {}) };
    for (const part of engineLinears(config, l)) linears.set(part.name, part);
  }
  // The float tensors as the folder loader offers them: fused ones split, q's and k's rows in the
  // engine's order for partial rotary (formats/fused-linears.ts, formats/partial-rotary.ts)
  const entries = new Map<string, TensorEntry>();
  for (const t of file.tensors.values())
    if (t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16')
      entries.set(t.name, { shape: t.shape, file: 'model.safetensors', read: () => readSafetensorsTensor(file, t.name) });
  const floats = engineTensors(config, entries);
  const shapes = new Map<string, number[]>();
  for (const [n, e] of floats) shapes.set(n, e.shape);
  for (const l of linears.values()) shapes.set(`${l.name}.weight`, [l.rows, l.cols]);
  const embed = globalNames(config.arch).embed;
  if (config.tiedEmbeddings) shapes.set('lm_head.weight', shapes.get(embed)!);
  const weights: WeightSource = {
    config,
    shapes,
    async get(name) {
      const l = linears.get(name.replace(/\.weight$/, ''));
      if (l && name.endsWith('.weight')) return dequantizeLinear(l);
      const e = floats.get(name === 'lm_head.weight' && config.tiedEmbeddings ? embed : name);
      if (!e) throw new FormatError('model.safetensors', `has no tensor ${name}`, 'Select the whole exported folder');
      return e.read();
    },
  };
  const tokJson = await readJson(need('tokenizer.json'));
  const tokCfg = byName.has('tokenizer_config.json') ? await readJson(need('tokenizer_config.json')) : {};
  const tokenizer = new HfTokenizer(tokJson, tokCfg, { bosId: config.bosId, eosId: config.eosId });
  return {
    model: { weights, tokenizer, source: 'local:gptq' },
    quantized: { config, spec, linears, overrides: new Map() },
    checkpointFormat: format,
  };
}

/** The packed modules of a Phi-3 folder: each block's fused Linears and the others under their own names. */
function fusedModules(config: ModelConfig): string[] {
  const out: string[] = [];
  for (let layer = 0; layer < config.layers; layer++) {
    const fused = fusedParts(config, layer);
    const parts = new Set(fused.flatMap(([, ps]) => ps.map(([name]) => name.replace(/\.weight$/, ''))));
    out.push(...fused.map(([name]) => name.replace(/\.weight$/, '')));
    out.push(
      ...linearRoles(config.arch)
        .map((r) => linearName(config.arch, layer, r))
        .filter((n) => !parts.has(n)),
    );
  }
  return out;
}

/** A packed module as the engine's Linears: a fused one split into its parts' rows, q and k in the engine's row order. */
function engineLinears(config: ModelConfig, l: QuantizedLinear): QuantizedLinear[] {
  const layer = Number(/^model\.layers\.(\d+)\./.exec(l.name)?.[1]);
  const parts = Number.isInteger(layer) ? fusedParts(config, layer).find(([name]) => name === `${l.name}.weight`)?.[1] : undefined;
  if (!parts) return [l];
  const nG = l.scales.length / l.rows;
  let start = 0;
  return parts.map(([weight, rows]) => {
    const name = weight.replace(/\.weight$/, '');
    const part: QuantizedLinear = {
      ...l,
      name,
      rows,
      codes: l.codes.slice(start * l.cols, (start + rows) * l.cols),
      scales: l.scales.slice(start * nG, (start + rows) * nG),
      zeros: l.zeros.slice(start * nG, (start + rows) * nG),
    };
    start += rows;
    const rotated = name === linearName(config.arch, layer, 'q') || name === linearName(config.arch, layer, 'k');
    return isPartialRotary(config) && rotated ? permuteQuantizedRows(part, rotaryRowSource(config.headDim, config.rotaryDim!, rows)) : part;
  });
}
