import { createSandbox } from './app';
import { loadSandboxConfig } from './config';

/** The 2Checkout sandbox process (127.0.0.1 only: it is for this machine). */
function main(): void {
  const config = loadSandboxConfig(process.env);
  const sandbox = createSandbox({ ...config, fetch: globalThis.fetch, clock: () => new Date() });
  const server = sandbox.app.listen(config.port, '127.0.0.1', () =>
    console.log(`2Checkout sandbox listening on http://127.0.0.1:${config.port}`),
  );
  const stop = () => {
    sandbox.stop();
    server.close(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
