// Method: which quantizer, its bit width and grouping, and the optimizer settings of TEQ and
// TesseraQ, with presets that list what they set.
import { useState } from 'react';
import { DEFAULT_CONFIG, type Method, type RunConfig } from '../../engine/run-types';
import { Checkbox, NumberField, Segmented, SelectField } from '../controls';
import { METHOD_LABELS } from '../format';
import { PRESETS, describeSettings } from '../presets';
import { useStudio } from '../store';

const METHOD_HELP: Record<Method, string> = {
  fp: 'No quantization: the fp32 model’s perplexity, the baseline every run is compared with.',
  rtn: 'Round to nearest per group of input channels. No calibration; the baseline to beat.',
  awq: 'Activation-aware scaling: per-channel scales searched on calibration activations, then round to nearest.',
  teq: 'Trainable equivalent transformation: per-channel scales learned with Adam through a straight-through estimator, folded into the norms.',
  tesseraq: 'Progressive adaptive rounding and dequantization-scale tuning, block by block, starting from AWQ.',
  'teq+tesseraq': 'TEQ scales first, then TesseraQ rounding on the transformed weights.',
  gptq: 'Column by column with second-order error feedback (AutoGPTQ): each rounding error is spread over the columns not yet quantized.',
  'awq+gptq': 'AWQ’s scales (no clipping) first, then GPTQ on the scaled weights.',
  'teq+gptq': 'TEQ scales first, then GPTQ on the transformed weights.',
};

const METHODS: Method[] = ['fp', 'rtn', 'awq', 'teq', 'tesseraq', 'teq+tesseraq', 'gptq', 'awq+gptq', 'teq+gptq'];
const GROUP_CHOICES = [0, 32, 64, 128];

export function MethodPanel() {
  const config = useStudio((s) => s.config);
  const setConfig = useStudio((s) => s.setConfig);
  const maxPositions = useStudio((s) => s.model?.maxPositions);
  const [applied, setApplied] = useState<string | null>(null);
  const usesTeq = config.method === 'teq' || config.method === 'teq+tesseraq' || config.method === 'teq+gptq';
  const usesTq = config.method === 'tesseraq' || config.method === 'teq+tesseraq';
  const usesGptq = config.method === 'gptq' || config.method === 'awq+gptq' || config.method === 'teq+gptq';
  const quantizes = config.method !== 'fp';
  const set = (patch: Partial<RunConfig>) => {
    setApplied(null);
    setConfig(patch);
  };

  return (
    <div className="panel">
      <div className="card">
        <h3>Presets</h3>
        <div className="grid-2">
          {PRESETS.map((p) => {
            const patch = p.settings({ method: config.method, maxPositions });
            return (
              <div key={p.id} className="field">
                <div className="row">
                  <button
                    onClick={() => {
                      setConfig(patch);
                      setApplied(`${p.label} set: ${describeSettings(patch)}.`);
                    }}
                  >
                    Apply “{p.label}”
                  </button>
                </div>
                <span className="help">{p.summary}</span>
                <span className="help mono">
                  For {METHOD_LABELS[config.method]}: {describeSettings(patch) || 'nothing to set'}
                </span>
              </div>
            );
          })}
        </div>
        {applied && (
          <div className="notice ok" role="status">
            <div>{applied}</div>
          </div>
        )}
      </div>

      <div className="card">
        <Segmented
          label="Method"
          value={config.method}
          options={METHODS.map((m) => ({ value: m, label: METHOD_LABELS[m] }))}
          onChange={(method) => set({ method })}
          help={METHOD_HELP[config.method]}
        />
      </div>

      {quantizes && (
        <div className="card">
          <h3>Quantizer</h3>
          <div className="grid-3">
            <Segmented
              label="Weight bits"
              value={config.bits}
              options={([2, 3, 4, 8] as const).map((b) => ({ value: b, label: `W${b}` }))}
              onChange={(bits) => set({ bits })}
              help={`${2 ** config.bits} levels per group`}
            />
            <SelectField
              label="Group size"
              value={GROUP_CHOICES.includes(config.groupSize) ? config.groupSize : -1}
              options={[
                ...GROUP_CHOICES.map((g) => ({ value: g, label: g === 0 ? 'Per output channel (whole row)' : `${g} input channels` })),
                ...(GROUP_CHOICES.includes(config.groupSize) ? [] : [{ value: -1, label: `${config.groupSize} (custom)` }]),
              ]}
              onChange={(g) => g >= 0 && set({ groupSize: g })}
              help="Input channels that share one scale and zero point."
            />
            <Checkbox
              label="Symmetric"
              checked={config.symmetric}
              onChange={(symmetric) => set({ symmetric })}
              help={config.symmetric ? 'Zero point fixed at the middle; scale from max |w|.' : 'Asymmetric: min/max range with an integer zero point.'}
            />
          </div>
        </div>
      )}

      {usesTeq && (
        <div className="card">
          <h3>TEQ training</h3>
          <div className="grid-3">
            <NumberField label="TEQ steps" value={config.steps} min={0} max={100000} onChange={(steps) => set({ steps })} help={config.teqLoss === 'block' ? 'Adam steps per block.' : 'Adam steps on the whole model.'} />
            <NumberField label="TEQ learning rate" value={config.lr} min={1e-7} max={1} integer={false} onChange={(lr) => set({ lr })} help="Adam step size for the scales." />
            <SelectField
              label="Loss"
              value={config.teqLoss}
              options={[
                { value: 'block', label: 'Block output MSE vs fp32' },
                { value: 'lm', label: 'Language-model cross-entropy (paper)' },
              ]}
              onChange={(teqLoss) => set({ teqLoss })}
            />
            <SelectField
              label="Gradient estimator"
              value={config.teqEstimator}
              options={[
                { value: 'ste-round', label: 'STE through rounding only' },
                { value: 'ste-full', label: 'STE through the whole quantizer (INC)' },
              ]}
              onChange={(teqEstimator) => set({ teqEstimator })}
            />
            <SelectField
              label="Scale initialisation"
              value={config.teqInit}
              options={[
                { value: 'awq', label: 'AWQ scales' },
                { value: 'ones', label: 'Ones (paper)' },
              ]}
              onChange={(teqInit) => set({ teqInit })}
            />
          </div>
        </div>
      )}

      {usesTq && (
        <div className="card">
          <h3>TesseraQ rounding</h3>
          <div className="grid-3">
            <NumberField label="Iterations per round" value={config.tqIters} min={1} max={100000} onChange={(tqIters) => set({ tqIters })} help="Adam steps after each hardening round." />
            <SelectField
              label="Hardening schedule"
              value={config.tqSchedule}
              options={[
                { value: 'short10', label: '10 rounds (LLaMA-3.2 configs)' },
                { value: 'paper20', label: '20 rounds (paper)' },
              ]}
              onChange={(tqSchedule) => set({ tqSchedule })}
            />
            <NumberField label="Batch (sequences)" value={config.tqBatch} min={1} max={512} onChange={(tqBatch) => set({ tqBatch })} />
            <NumberField label="TesseraQ learning rate" value={config.tqLr} min={1e-7} max={1} integer={false} onChange={(tqLr) => set({ tqLr })} help="Adam step size for rounding logits and dequantization scales." />
            <SelectField
              label="AWQ initialisation searched on"
              value={config.tqInitInput}
              options={[
                { value: 'quantized', label: 'quantized-chain inputs' },
                { value: 'fp', label: 'full-precision inputs (LLMC load_transform)' },
              ]}
              onChange={(tqInitInput) => set({ tqInitInput })}
            />
          </div>
        </div>
      )}

      {usesGptq && (
        <div className="card">
          <h3>GPTQ</h3>
          <div className="grid-3">
            <NumberField label="Dampening" value={config.gptqDamp} min={1e-6} max={1} integer={false} onChange={(gptqDamp) => set({ gptqDamp })} help="Added to the Hessian's diagonal, as a fraction of its mean (1% in AutoGPTQ)." />
            <Checkbox label="Act-order" checked={config.gptqActOrder} onChange={(gptqActOrder) => set({ gptqActOrder })} help="Quantize the most active input channels first (desc_act); groups then follow that order (g_idx)." />
            <SelectField
              label="Lazy batch"
              value={String(config.gptqBlockSize)}
              options={[16, 32, 64, 128, 256].map((v) => ({ value: String(v), label: `${v} columns` }))}
              onChange={(v) => set({ gptqBlockSize: Number(v) })}
            />
          </div>
        </div>
      )}

      <div className="card">
        <h3>Reproducibility</h3>
        <div className="grid-3">
          <NumberField label="Seed" value={config.seed} min={0} max={0xffffffff} onChange={(seed) => set({ seed })} help="Picks calibration windows and batches." />
          <div className="field">
            <span className="label">Calibration</span>
            <span>
              {config.calibSamples} samples × {config.seqLen} tokens
            </span>
            <span className="help">Set in Data.</span>
          </div>
          <div className="field">
            <span className="label">Defaults</span>
            <div>
              <button onClick={() => set({ ...DEFAULT_CONFIG, model: config.model, text: config.text })}>Reset method settings</button>
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}
