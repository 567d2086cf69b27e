import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Python with PyTorch, ONNX and PIL (`apt-get install python3-torch python3-onnx python3-pil`). */
export const PYTHON = '/usr/bin/python3';

/**
 * Whether the training recipe can run: {@link PYTHON} imports torch, onnx and PIL and every path in
 * `paths` (datasets) exists. Outside CI their absence skips with a warning naming `what`; under
 * `CI=true` it throws instead.
 */
export function recipeAvailable(what: string, paths: string[] = []): boolean {
  const modules = spawnSync(PYTHON, ['-c', 'import torch, onnx, PIL'], { encoding: 'utf8' }).status === 0;
  const missing = [...(modules ? [] : [`${PYTHON} with torch, onnx and PIL`]), ...paths.filter((p) => !existsSync(p))];
  if (missing.length === 0) return true;
  if (process.env.CI === 'true')
    throw new Error(
      `CI=true needs ${missing.join(', ')} (apt-get install python3-torch python3-onnx python3-pil; ../shared)`,
    );
  console.warn(`skipping ${what}: missing ${missing.join(', ')}`);
  return false;
}
