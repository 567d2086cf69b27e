/** `seg-stream models [--json]`: the built-in models and their cards. */
import { listModels } from '../infer/model-card.js';
import { parseCommandLine } from './args.js';
import type { CliIo } from './io.js';

/** Lists built-in models; `--json` prints a JSON array with input sizes and absolute weight paths. */
export async function runModelsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine(argv, { json: { type: 'boolean' }, debug: { type: 'boolean' } });
  const models = await listModels();
  if (values.json) {
    const list = models.map((m) => ({
      name: m.name,
      dir: m.dir,
      input: { width: m.card.input.width, height: m.card.input.height },
      files: m.files,
      classes: m.card.classes.map((c) => c.name),
      roles: m.card.roles,
      metrics: m.card.metrics ?? null,
      card: m.card,
    }));
    io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (models.length === 0) {
    io.stdout.write('no built-in models installed\n');
    return 0;
  }
  for (const m of models) {
    io.stdout.write(
      `${m.name}  ${m.card.input.width}x${m.card.input.height}  ${m.card.classes.length} classes  engines: ${Object.keys(m.files).join(', ')}\n`,
    );
    if (m.card.description) io.stdout.write(`  ${m.card.description}\n`);
    io.stdout.write(`  ${m.dir}\n`);
  }
  return 0;
}
