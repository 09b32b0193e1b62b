import { describe, expect, it } from 'vitest';
import { bytesSource } from './byte-source';
import { localModelSource } from './model-identity';

const enc = new TextEncoder();
function safetensors(header: object, dataBytes: number): Uint8Array {
  const json = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}
function folder(dir: string, hidden: number, weightsFill = 0) {
  const st = safetensors({ w: { dtype: 'F32', shape: [hidden], data_offsets: [0, 4 * hidden] } }, 4 * hidden);
  st.fill(weightsFill, st.length - 4 * hidden);
  return [
    bytesSource(`${dir}/config.json`, enc.encode(JSON.stringify({ hidden_size: hidden }))),
    bytesSource(`${dir}/tokenizer.json`, enc.encode('{}')),
    bytesSource(`${dir}/model.safetensors`, st),
  ];
}

describe('local model identity', () => {
  it('names a folder by its name and a hash of its config and tensor header', async () => {
    const a = await localModelSource(folder('llama-a', 64));
    expect(a).toMatch(/^local:llama-a#[0-9a-f]{10}$/);
    // The same files picked again (in another order): the same name.
    expect(await localModelSource(folder('llama-a', 64).reverse())).toBe(a);
    // Another model with the same file names (the case that merged two models in Compare).
    const b = await localModelSource(folder('llama-a', 32));
    expect(b).not.toBe(a);
    expect(b.startsWith('local:llama-a#')).toBe(true);
  });

  it('names loose files by the model file, and keeps the name short whatever the file count', async () => {
    const files = [bytesSource('stories260K.bin', new Uint8Array([1, 2, 3, 4])), bytesSource('tok512.bin', new Uint8Array([5, 6]))];
    const s = await localModelSource(files);
    expect(s).toMatch(/^local:stories260K#[0-9a-f]{10}$/);
    const other = await localModelSource([bytesSource('stories260K.bin', new Uint8Array([1, 2, 3, 5])), files[1]]);
    expect(other).not.toBe(s);
  });
});
