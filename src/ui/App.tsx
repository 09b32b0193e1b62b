export function App() {
  return <h1>WebGPU Quantization Studio</h1>;
}
