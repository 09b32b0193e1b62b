// Method: which quantizer, its bit width and grouping, and the method's own settings (its
// descriptor's cards, src/methods/<name>/), with presets that list what they set.
import { useState } from 'react';
import type { RunConfig, WindowDraw } from '../../core/run-types';
import { DEFAULT_CONFIG, METHODS, METHOD_NAMES, configField } from '../../methods/registry';
import { Checkbox, NumberField, Segmented, SelectField } from '../controls';
import { PRESETS, describeSettings, isSoftwareAdapter } from '../presets';
import { useStudio } from '../store';
import type { ConfigField } from '../../methods/fields';

const GROUP_CHOICES = [0, 32, 64, 128];

// The same seed draws the same windows as these Python calls (src/engine/window-draws.ts): a run can
// calibrate on exactly the data a PyTorch, NumPy or AutoGPTQ script used.
const CALIB_DRAW_OPTIONS: { value: WindowDraw; label: string; title: string }[] = [
  { value: 'studio', label: 'Studio', title: 'The studio’s own seeded generator.' },
  { value: 'torch', label: 'PyTorch', title: 'As torch.manual_seed(seed); torch.randint(0, n − L, (samples,)) draws the starts.' },
  { value: 'numpy', label: 'NumPy', title: 'As numpy.random.seed(seed); numpy.random.randint(0, n − L, samples) draws the starts.' },
  { value: 'python', label: 'Python', title: 'As random.seed(seed); random.randint(0, n − L − 1) per sample (AutoGPTQ’s data loaders) draws the starts.' },
];

export function MethodPanel() {
  const config = useStudio((s) => s.config);
  const calibDraw = config.calibDraw ?? 'studio'; // absent in configs saved before it existed
  const setConfig = useStudio((s) => s.setConfig);
  const maxPositions = useStudio((s) => s.model?.maxPositions);
  const software = useStudio((s) => s.gpu.status === 'ready' && isSoftwareAdapter(s.gpu.report));
  const [applied, setApplied] = useState<string | null>(null);
  const method = METHODS[config.method];
  const quantizes = method.run !== undefined;
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
            const patch = p.settings({ method: config.method, maxPositions, software });
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
                <span className="help">{p.summary({ method: config.method, maxPositions, software })}</span>
                <span className="help mono">
                  For {method.label}: {describeSettings(patch) || 'nothing to set'}
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
          options={METHOD_NAMES.map((m) => ({ value: m, label: METHODS[m].label }))}
          onChange={(method) => set({ method })}
          help={method.description}
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

      {method.settings.map((group) => (
        <div key={group.title} className="card">
          <h3>{group.title}</h3>
          <div className="grid-3">
            {group.fields.map((key) => (
              <SettingField key={key} field={configField(key)} config={config} set={set} />
            ))}
          </div>
        </div>
      ))}

      <div className="card">
        <h3>Reproducibility</h3>
        <div className="grid-3">
          <NumberField
            label="Seed"
            value={config.seed}
            min={0}
            max={0xffffffff}
            onChange={(seed) => set({ seed })}
            help="Picks calibration windows and batches."
          />
          <Segmented
            label="Windows drawn as"
            value={calibDraw}
            options={CALIB_DRAW_OPTIONS}
            onChange={(draw) => set({ calibDraw: draw })}
            help={CALIB_DRAW_OPTIONS.find((o) => o.value === calibDraw)?.title}
          />
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

/** One of a method's own settings, drawn from its field declaration (src/methods/fields.ts). */
function SettingField({ field, config, set }: { field: ConfigField; config: RunConfig; set: (patch: Partial<RunConfig>) => void }) {
  const label = field.label ?? field.key;
  const help = typeof field.help === 'function' ? field.help(config) : field.help;
  const value = config[field.key];
  if (field.kind === 'integer' || field.kind === 'real') {
    return (
      <NumberField
        label={label}
        value={value as number}
        min={field.uiMin ?? field.min}
        max={field.max}
        integer={field.kind === 'integer' ? undefined : false}
        onChange={(v) => set({ [field.key]: v })}
        help={help}
      />
    );
  }
  if (field.kind === 'choice' && field.choices) {
    return (
      <SelectField
        label={label}
        value={value as string | number}
        options={field.choices as { value: string | number; label: string }[]}
        onChange={(v) => set({ [field.key]: v })}
        help={help}
      />
    );
  }
  if (field.kind === 'boolean') {
    return <Checkbox label={label} checked={value as boolean} onChange={(v) => set({ [field.key]: v })} help={help} />;
  }
  throw new Error(`The Method panel cannot show the ${field.kind} field "${field.key}": give it choices or draw it in the panel.`);
}
