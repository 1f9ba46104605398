import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load-config';
import { DEFAULT_CODEC_SERVER_PORT, startCodecServer } from '../../codec/codec-server';
import { PAYLOAD_KEY_VARIABLE, payloadCodecsFromEnvironment } from '../../codec/encryption-codec';
import { untilInterrupted } from '../until-interrupted';

/** Usage line of `tokenflow codec-server`, for the CLI's help. */
export const CODEC_SERVER_USAGE =
  'tokenflow codec-server [--port N] [--origin URL]  decrypt payloads for the Temporal UI (same key as workers)';

/**
 * `tokenflow codec-server`: serves Temporal's remote codec protocol on 127.0.0.1 so the Temporal UI can show
 * encrypted payloads in the browser, until SIGINT/SIGTERM.
 */
export async function codecServerCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      origin: { type: 'string' },
      config: { type: 'string' },
    },
  });
  const port = values.port === undefined ? DEFAULT_CODEC_SERVER_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535 (got "${values.port}").`);
  }
  const codecs = payloadCodecsFromEnvironment(process.env);
  if (codecs.length === 0) {
    throw new Error(
      `${PAYLOAD_KEY_VARIABLE} is not set, so there is nothing to decrypt; set it to the workers' key first.`,
    );
  }
  // The config only supplies the UI's address, the origin the browser will call from.
  const origin = values.origin ?? loadConfig({ file: values.config }).temporal.uiUrl;
  if (!URL.canParse(origin)) {
    throw new Error(`--origin must be the Temporal UI's URL, such as http://localhost:8233.`);
  }
  const server = await startCodecServer({ codecs, allowedOrigin: origin, port });
  process.stdout.write(
    [
      `Codec server on ${server.url} for the Temporal UI at ${new URL(origin).origin}.`,
      'Point the UI at it in one of two ways:',
      `  temporal server start-dev --ui-codec-endpoint ${server.url}`,
      `    (with tokenflow dev: TEMPORAL_DEV_ARGS="--ui-codec-endpoint ${server.url}" tokenflow dev)`,
      `  or in the UI, open the data encoder settings and set the codec endpoint to ${server.url}`,
      'Stop it with Ctrl-C.',
      '',
    ].join('\n'),
  );
  await untilInterrupted();
  await server.close();
}
