import { startLocalStack } from './stack';

/**
 * `npm start`: the whole service on this machine.
 *   PORT          HTTP port (default 3000)
 *   DATA_DIR      where the DynamoDB engine keeps its data (default ./.local)
 *   DYNAMODB_ENGINE  local (DynamoDB Local, Java) or node (dynalite); default: local when
 *                 `java` is on PATH, node otherwise (docs/engines.md)
 *   PRODUCER_KEY  the producer's bearer key (default: generated once, kept in DATA_DIR)
 *   PUBLIC_URL    the base URL clients see (default http(s)://127.0.0.1:PORT)
 *   TLS_CERT_FILE, TLS_KEY_FILE  PEM files: serve HTTPS (both or neither)
 *   DYNAMODB_LOCAL_JAVA_OPTIONS  extra JVM options for DynamoDB Local (default none; docs/testing.md)
 */
async function main(): Promise<void> {
  const started = Date.now();
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT must be a TCP port, got ${process.env.PORT}`);
  const certFile = process.env.TLS_CERT_FILE;
  const keyFile = process.env.TLS_KEY_FILE;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new Error('TLS_CERT_FILE and TLS_KEY_FILE go together: set both for HTTPS, or neither');
  const stack = await startLocalStack({
    ...(certFile && keyFile ? { tls: { certFile, keyFile } } : {}),
    port,
    dataDir: process.env.DATA_DIR ?? './.local',
    ...(process.env.PRODUCER_KEY ? { producerKey: process.env.PRODUCER_KEY } : {}),
    ...(process.env.PUBLIC_URL ? { publicUrl: process.env.PUBLIC_URL } : {}),
    log: (line) => console.log(line),
  });
  console.log(`producer key: ${stack.producerKey}`);
  console.log(`ready in ${Date.now() - started} ms`);
  console.log(`listening on ${stack.url}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
