/**
 * Lets queued messages (an 'abort' above all) run between generated tokens. ONNX Runtime's wasm backend
 * resolves each step on microtasks, so a token loop would otherwise keep the worker's message queue
 * waiting until the answer ends. A message-channel hop is a macrotask without setTimeout's clamping.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
