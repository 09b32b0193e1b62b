# The studio's Hugging Face exports in real transformers: each checkpoint case's fp-safetensors folder
# loaded as it is, and its GPTQ folder dequantized by the GPTQ v1 convention (AutoGPTQ's packing, as
# transformers' GPTQ integration reads it: 4-bit codes packed along the input dimension, zero points
# along the output one, stored minus 1) into the model transformers builds from the same config.json.
# Needs Python with torch and transformers (no GPU):
#   node scripts/build-node.mjs write-checkpoints && node dist-node/write-checkpoints.mjs /tmp/cases --exports
#   python3 scripts/transformers-exports.py /tmp/cases/exports test/fixtures/transformers-reference
# fp: transformers' logits on the export against transformers' logits on the source case (the
# reference fixture); GPTQ: against the studio's float64 logits of the folder (studio-logits.json).
# Exits 1 if a folder does not load or its logits differ by more than 1e-6 of the largest.
import json, os, sys, traceback, warnings
import numpy as np, torch
from safetensors.numpy import load_file
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

warnings.filterwarnings("ignore")
exports, reference = sys.argv[1], sys.argv[2]
ref = json.load(open(os.path.join(reference, "cases.json")))
ref_logits = np.fromfile(os.path.join(reference, "logits.f32"), dtype=np.float32)
studio = json.load(open(os.path.join(exports, "studio-logits.json")))
TOLERANCE = 1e-6
failed = []


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def run(model, ids):
    with torch.no_grad():
        return model.eval()(torch.tensor([ids])).logits[0].numpy()


def report(kind, name, model, err, note=""):
    ok = err <= TOLERANCE
    if not ok:
        failed.append(f"{kind} {name}")
    print(f"{kind:5s} {name:34s} {type(model).__name__:20s} {err:.2e} {'ok' if ok else 'OUTSIDE'} {note}")


def unpack(q, bits, axis):
    """int32 words -> codes, the low bits first, along rows (axis 0) or columns (axis 1)."""
    per, mask = 32 // bits, (1 << bits) - 1
    parts = [(q.astype(np.uint32) >> (bits * i)) & mask for i in range(per)]
    return np.stack(parts, axis=axis + 1).reshape((-1, q.shape[1]) if axis == 0 else (q.shape[0], -1))


for name in sorted(os.listdir(os.path.join(exports, "fp-safetensors"))):
    d, c = os.path.join(exports, "fp-safetensors", name), ref["cases"][name]
    try:
        m, info = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float64, output_loading_info=True)
        bad = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
        got = run(m, c["ids"])
        want = ref_logits[c["offset"] : c["offset"] + got.size].reshape(got.shape)
        same = AutoTokenizer.from_pretrained(d)(ref["text"], add_special_tokens=False).input_ids == c["text"]
        if bad or not same:
            failed.append(f"fp {name}")
        report("fp", name, m, rel(got, want), f"{bad if bad else ''}{'' if same else 'tokens differ'}")
    except Exception:
        failed.append(f"fp {name}")
        print(f"fp    {name:34s} does not load: {traceback.format_exc()[-300:]}")

for name in sorted(os.listdir(os.path.join(exports, "gptq"))):
    d = os.path.join(exports, "gptq", name)
    try:
        cfg = AutoConfig.from_pretrained(d)
        qc = cfg.quantization_config
        qc = qc if isinstance(qc, dict) else qc.to_dict()
        bits, v1 = qc["bits"], qc.get("checkpoint_format", "gptq") == "gptq"
        del cfg.quantization_config
        m = AutoModelForCausalLM.from_config(cfg, dtype=torch.float64)
        st = load_file(os.path.join(d, "model.safetensors"))
        sd = {}
        for k, v in st.items():
            if k.endswith(".qweight"):
                p = k[: -len(".qweight")]
                codes = unpack(v, bits, 0).astype(np.float64)
                zeros = unpack(st[p + ".qzeros"], bits, 1).astype(np.float64) + (1 if v1 else 0)
                scales, g = st[p + ".scales"].astype(np.float64), st[p + ".g_idx"].astype(np.int64)
                sd[p + ".weight"] = torch.tensor(((codes - zeros[g]) * scales[g]).T.copy())
            elif not k.endswith((".qzeros", ".scales", ".g_idx")):
                sd[k] = torch.tensor(v.astype(np.float64))
        missing, unexpected = m.load_state_dict(sd, strict=False)
        missing = [x for x in missing if not (x == "lm_head.weight" and cfg.tie_word_embeddings)]
        if cfg.tie_word_embeddings:
            m.tie_weights()
        if missing or unexpected:
            failed.append(f"gptq {name}")
        s = studio[name]
        report("gptq", name, m, rel(run(m, s["ids"]), np.array(s["logits"]).reshape(len(s["ids"]), -1)), f"{missing or ''}{unexpected or ''}")
    except Exception:
        failed.append(f"gptq {name}")
        print(f"gptq  {name:34s} does not load: {traceback.format_exc()[-300:]}")

print(f"{len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
sys.exit(1 if failed else 0)
