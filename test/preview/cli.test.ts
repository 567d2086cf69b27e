/** `--preview` mistakes from the command line: one coded line, the right exit code, no work done. */
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, tempDir } from '../helpers/media.js';

describe('--preview on the command line', () => {
  const tmp = tempDir();
  const video = path.join(tmp.dir, 'in.mp4');
  beforeAll(() => makeIndexedVideo(video, { width: 160, height: 90, frames: 8, fps: '25', audio: false }));
  afterAll(() => tmp.cleanup());

  it('a port in use fails at start with PREVIEW_UNAVAILABLE, before any output is made', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const out = path.join(tmp.dir, 'busy.mp4');
      const r = await runCli([video, '-o', out, '--preview', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`^seg-stream: SEGSTREAM_ERR_PREVIEW_UNAVAILABLE: .*port ${port} .*in use`, 'm'),
      );
      expect(existsSync(out)).toBe(false);
      const folder = await runCli([
        'batch',
        tmp.dir,
        '--masks',
        path.join(tmp.dir, 'm'),
        '--preview',
        `127.0.0.1:${port}`,
      ]);
      expect(folder.code).toBe(1);
      expect(folder.stderr).toContain('SEGSTREAM_ERR_PREVIEW_UNAVAILABLE');
    } finally {
      busy.close();
    }
  });

  it.each([
    ['bad host:8080'],
    ['8080:80'],
    ['127.0.0.1:99999'],
    ['[not-ipv6]:80'],
    ['host_name:80'],
    ['localhost:'],
    ['1.2.3:80'],
    [''],
  ])('an invalid address %j is a usage error', async (address) => {
    const r = await runCli([video, '-o', path.join(tmp.dir, 'x.mp4'), '--preview', address]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: Expected \[HOST:\]PORT .* for --preview but received/m,
    );
  });

  it('a token needs --preview and a sane value', async () => {
    const alone = await runCli([video, '-o', path.join(tmp.dir, 'x.mp4'), '--preview-token', 'abcdefgh123']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--preview-token needs --preview');
    const short = await runCli([video, '-o', path.join(tmp.dir, 'x.mp4'), '--preview', '0', '--preview-token', 'abc']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/SEGSTREAM_ERR_INVALID_OPTION: Expected 8 to 128 .* for --preview-token/);
  });
});
