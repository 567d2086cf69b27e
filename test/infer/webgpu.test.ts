import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { ortWebGpuBundled } from '../../src/infer/onnx-engine.js';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, readGrayPng, tempDir, tinyModelDir } from '../helpers/media.js';

// `--device webgpu` runs the model on onnxruntime-node's bundled WebGPU execution provider (Dawn).
// These machines have no GPU; Debian's `chromium` ships SwiftShader's Vulkan driver, which Dawn
// accepts as an (emulated, slow) adapter when VK_ICD_FILENAMES names it: enough to run the whole
// path on two frames and compare it with the CPU.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** No Vulkan driver at all: what a machine without a GPU (or without its Vulkan driver) looks like to Dawn. */
const NO_ADAPTER_ENV = {
  VK_ICD_FILENAMES: '/nonexistent/no-icd.json',
  XDG_RUNTIME_DIR: mkdtempSync(path.join(tmpdir(), 'xdg-')),
};

const work = tempDir('segstream-webgpu-');
afterAll(() => work.cleanup());

async function clip(): Promise<string> {
  const file = path.join(work.dir, 'clip.mp4');
  if (!existsSync(file)) await makeIndexedVideo(file, { width: 320, height: 180, frames: 6, fps: '10/1' });
  return file;
}

function haveSwiftShader(): boolean {
  const present = existsSync(SWIFTSHADER_ICD);
  if (!present && process.env.CI === 'true')
    throw new Error(`CI=true needs Debian's chromium (${SWIFTSHADER_ICD}) for the WebGPU parity test`);
  if (!present)
    console.warn(`skipping: ${SWIFTSHADER_ICD} is absent (apt-get install chromium gives an emulated WebGPU adapter)`);
  return present;
}

describe('--device webgpu', () => {
  it('is bundled with onnxruntime-node on this platform', () => {
    if (process.platform === 'linux' && process.arch === 'x64') expect(ortWebGpuBundled()).toBe(true);
  });

  it('without a GPU adapter: DEVICE_UNAVAILABLE with advice, exit 1, nothing written', async () => {
    const input = await clip();
    const out = path.join(work.dir, 'no-adapter');
    mkdirSync(out);
    const r = await runCli(
      [input, '-o', path.join(out, 'o.mp4'), '--masks', path.join(out, 'm'), '--device', 'webgpu', '-q'],
      {
        env: NO_ADAPTER_ENV,
        cwd: work.dir,
      },
    ).catch((e) => e);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(ErrorCodes.DEVICE_UNAVAILABLE);
    expect(r.stderr).toMatch(/No supported adapters/);
    expect(r.stderr).toMatch(/libvulkan1.*--device cpu/s);
    expect(readdirSync(out, { recursive: true })).toEqual([]);
  });

  it('on the tfjs engine: DEVICE_UNAVAILABLE naming the onnx engine', async () => {
    const model = await loadModel(tinyModelDir);
    const err = await createEngine(model, { engine: 'tfjs', device: 'webgpu' }).catch((e) => e);
    expect(err.code).toBe(ErrorCodes.DEVICE_UNAVAILABLE);
    expect(err.message).toMatch(/engine onnx, device webgpu/);
  });

  // The project's tiny test network keeps the emulator to seconds; the shipped default measured the
  // same way gave logits within 2.2e-5 of the CPU at ~14 s a frame (docs/engines.md).
  it('with an adapter (SwiftShader): the same masks as the CPU', async () => {
    if (!haveSwiftShader()) return;
    const input = await clip();
    const masks = (device: string) => path.join(work.dir, `masks-${device}`);
    const env = { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: NO_ADAPTER_ENV.XDG_RUNTIME_DIR };
    for (const device of ['cpu', 'webgpu']) {
      const args = [
        input,
        '-m',
        tinyModelDir,
        '--masks',
        masks(device),
        '--frames',
        '2',
        '--device',
        device,
        '--json',
        '-q',
      ];
      const r = await runCli(args, { env, timeoutMs: 170_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).backend).toContain(device === 'webgpu' ? 'webgpu' : 'cpu');
    }
    const names = readdirSync(masks('cpu')).sort();
    expect(names).toHaveLength(2);
    expect(readdirSync(masks('webgpu')).sort()).toEqual(names);
    let same = 0;
    let total = 0;
    for (const name of names) {
      const a = readGrayPng(path.join(masks('cpu'), name)).data;
      const b = readGrayPng(path.join(masks('webgpu'), name)).data;
      for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
      total += a.length;
    }
    expect(same / total).toBeGreaterThanOrEqual(0.999);
  }, 180_000);
});
