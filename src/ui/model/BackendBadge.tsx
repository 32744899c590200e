import { useAppState } from '../app-context';

/** The backend that really runs, as the worker found it; nothing until a model has loaded. */
export function BackendBadge() {
  const backend = useAppState((s) => s.load.backend);
  if (!backend) return null;
  return (
    <span
      className="backend-badge"
      data-testid="backend-badge"
      data-backend={backend}
      title={backend === 'webgpu' ? 'Running on the GPU (WebGPU)' : 'Running on the CPU (WebAssembly)'}
    >
      {backend === 'webgpu' ? 'WebGPU' : backend === 'wasm' ? 'WASM' : backend.toUpperCase()}
    </span>
  );
}
