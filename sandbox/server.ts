import { createLogger } from '../lib/logger';
import { createSandbox } from './app';
import { loadSandboxConfig } from './config';

/** The 2Checkout sandbox process (on 127.0.0.1 unless SANDBOX_HOST says otherwise: it is for this machine). */
function main(): void {
  const config = loadSandboxConfig(process.env);
  const logger = createLogger({ name: 'sandbox', level: config.logLevel });
  const { stateFile, ...rest } = config;
  const sandbox = createSandbox({
    ...rest,
    ...(stateFile && { stateFile }),
    fetch: globalThis.fetch,
    clock: () => new Date(),
    logger,
  });
  const server = sandbox.app.listen(config.port, config.host, () =>
    logger.info(`2Checkout sandbox listening on http://${config.host}:${config.port}`),
  );
  const stop = () => {
    sandbox.stop();
    server.close(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
