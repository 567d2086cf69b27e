import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Every figure the documentation states about the default model comes from its card, or says which
// version it was measured on: a figure of an earlier version must not read as today's.
const root = path.resolve(__dirname, '..', '..');
const card = JSON.parse(readFileSync(path.join(root, 'models', 'camvid-default', 'model.json'), 'utf8')) as {
  version: string;
  metrics: { mIoU: number; pixelAccuracy: number; classIoU: Record<string, number>; note: string };
};

/** README.md and docs/*.md, each cut into blocks (paragraphs; a table is one block with its caption). */
function docBlocks(): { file: string; text: string }[] {
  const docs = path.join(root, 'docs');
  const files = [path.join(root, 'README.md'), ...readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => path.join(docs, f))];
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split(/\n\s*\n(?!\|)/)
      .map((text) => ({ file: path.relative(root, file), text })),
  );
}

/** Version 1's CamVid val figures, as the card's note records them ("Version 1 … scored 73.41 here, cross-validated 72.38"). */
function versionOneFigures(): string[] {
  const m = /Version 1\b[^.]*?scored (\d+\.\d+)[^.]*?cross-validated (\d+\.\d+)/.exec(card.metrics.note);
  expect(m, `the card's note names version 1's figures: ${card.metrics.note}`).toBeTruthy();
  return [m![1], m![2]];
}

const LABELLED = /version 1|\bv1\b|1\.0\.0|before version 2/i;

describe('figures the documentation gives for the default model', () => {
  it("names version 1 wherever one of version 1's CamVid val figures appears", () => {
    const old = versionOneFigures();
    const unlabelled = docBlocks()
      .filter(({ text }) => old.some((f) => new RegExp(`(^|[^\\d.])${f.replace('.', '\\.')}(?![\\d])`).test(text)))
      .filter(({ text }) => !LABELLED.test(text))
      .map(({ file, text }) => `${file}: ${text.slice(0, 160).replace(/\s+/g, ' ')}…`);
    expect(unlabelled).toEqual([]);
  });

  it("states the card's CamVid val mIoU and per-class IoU in the model table", () => {
    const row = docBlocks()
      .flatMap(({ text }) => text.split('\n'))
      .find((line) => line.startsWith('| CamVid val (101 frames)'));
    expect(row, 'the Models table has a "CamVid val (101 frames)" row').toBeTruthy();
    expect(row).toContain(`${card.metrics.mIoU.toFixed(2)} mIoU`);
    for (const [name, iou] of Object.entries(card.metrics.classIoU)) {
      expect(row, name).toMatch(new RegExp(`${name}\\*{0,2} ${iou.toFixed(1).replace('.', '\\.')}\\b`));
    }
  });
});
