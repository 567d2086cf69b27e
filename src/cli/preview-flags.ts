/**
 * `--preview [HOST:]PORT` and `--preview-token` of every run command: the preview server is
 * started before any work (a port in use fails at once) and its address printed on stderr.
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import { parsePreviewAddress } from '../preview/address.js';
import { PreviewServer } from '../preview/server.js';
import { redact } from '../process/redact.js';
import { stringFlag, type ParsedArgs } from './args.js';

/** Starts the preview the flags ask for (undefined without `--preview`) and says where it is. */
export async function startPreview(
  values: ParsedArgs['values'],
  input: string,
  live: boolean,
  stderr: NodeJS.WritableStream,
): Promise<PreviewServer | undefined> {
  const address = stringFlag(values, 'preview');
  const token = stringFlag(values, 'preview-token');
  if (address === undefined) {
    if (token !== undefined) throw new SegStreamError(ErrorCodes.USAGE, '--preview-token needs --preview [HOST:]PORT');
    return undefined;
  }
  const preview = await new PreviewServer({
    ...parsePreviewAddress(address, token),
    input: redact(input),
    live,
  }).start();
  stderr.write(`seg-stream: preview at ${preview.url}\n`);
  return preview;
}

/** `run`, reported to `preview` (finished with its summary, or failed) when there is one. */
export function watched<T>(preview: PreviewServer | undefined, run: Promise<T>): Promise<T> {
  return preview ? preview.track(run) : run;
}
