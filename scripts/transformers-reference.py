# Reference logits and token ids from real transformers for the tests' checkpoint cases
# (src/formats/testing/hf-checkpoint-cases.ts), read by src/formats/transformers-reference.test.ts.
# Needs Python with torch and transformers; run on any machine that has them (no GPU needed):
#   node scripts/build-node.mjs write-checkpoints && node dist-node/write-checkpoints.mjs /tmp/cases
#   python3 scripts/transformers-reference.py /tmp/cases test/fixtures/transformers-reference
# Each case is loaded with AutoModelForCausalLM in float64 (no key may be missing or unexpected) and
# AutoTokenizer; the ids are the config's BOS and transformers' tokens of TEXT, 12 in all.
import json, os, sys
import numpy as np, torch, transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

TEXT = "the theater is in the north. THE END!"
LONG = "Once upon a time, there was a little girl named Lily.\nShe liked to play outside \u2014 in the sun!  \u00dcn\u00efc\u00f6d\u00e9 123."
cases_dir, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
manifest = {"transformers": transformers.__version__, "torch": torch.__version__, "text": TEXT, "long": LONG, "cases": {}}
blob = []
offset = 0
for name in sorted(os.listdir(cases_dir)):
    d = os.path.join(cases_dir, name)
    try:
        model, info = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float64, output_loading_info=True)
    except Exception as e:  # an architecture this transformers does not have
        print(f"{name}: not loaded ({type(e).__name__})", file=sys.stderr)
        continue
    bad = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    if bad:
        sys.exit(f"{name}: transformers did not load every tensor: {bad}")
    tok = AutoTokenizer.from_pretrained(d)
    text = tok(TEXT, add_special_tokens=False).input_ids
    bos = json.load(open(os.path.join(d, "config.json"))).get("bos_token_id")
    ids = ([bos if isinstance(bos, int) else 1] + text)[:12]
    with torch.no_grad():
        logits = model.eval()(torch.tensor([ids])).logits[0].numpy()
    blob.append(logits.astype(np.float32).ravel())
    manifest["cases"][name] = {
        "architecture": type(model).__name__,
        "ids": ids,
        "text": text,
        "long": tok(LONG, add_special_tokens=False).input_ids,
        "offset": offset,
        "shape": list(logits.shape),
    }
    offset += logits.size
    print(name, type(model).__name__, logits.shape, file=sys.stderr)
np.concatenate(blob).tofile(os.path.join(out_dir, "logits.f32"))
with open(os.path.join(out_dir, "cases.json"), "w") as f:
    json.dump(manifest, f, indent=1)
