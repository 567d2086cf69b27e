/**
 * Stopping a run the way users do: signals sent to the whole process GROUP (what a terminal's
 * Ctrl-C, `timeout`, systemd and container stops do), so the ffmpeg children receive them too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath } from '../helpers/cli.js';
import { makeIndexedVideo, probe, repoRoot, tempDir } from '../helpers/media.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in its own process group (like a shell job) and sends `signals` to the group: the
 * first once `--stats` shows `afterFrames` frames written, each next one once the previous one's
 * message is on stderr.
 */
function runAndSignal(args: string[], stats: string, signals: NodeJS.Signals[], afterFrames = 3): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binPath, ...args, '--stats', stats, '-q'], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let sent = 0;
    const poll = setInterval(() => {
      if (sent >= signals.length || child.exitCode !== null) return;
      const ready =
        sent === 0
          ? existsSync(stats) && readFileSync(stats, 'utf8').split('\n').length > afterFrames
          : (stderr.match(/again to abort/g) ?? []).length >= sent;
      if (!ready) return;
      process.kill(-child.pid!, signals[sent++]);
    }, 50);
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 120_000);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('stop signals to the process group', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  // The default model is slow enough that the run is mid-file when the signal arrives.
  const common = ['--threads', '1', '--workers', '1'];
  beforeAll(async () => {
    await makeIndexedVideo(input, { width: 320, height: 180, frames: 400, fps: '25', audio: true });
  }, 60_000);
  afterAll(() => tmp.cleanup());

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} to the group: exit 0, a finished overlay with the frames written and audio trimmed to them`, async () => {
      const out = path.join(tmp.dir, `${signal}.mp4`);
      const r = await runAndSignal([input, '-o', out, '--json', ...common], path.join(tmp.dir, `${signal}.jsonl`), [
        signal,
      ]);
      expect(r.stderr).toContain(`${signal}: finishing`);
      expect(r.stderr).not.toMatch(/SEGSTREAM_ERR/);
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout) as { frames: number; stopped: string };
      expect(summary.stopped).toBe('signal');
      expect(summary.frames).toBeLessThan(400);
      const facts = probe(out);
      expect(facts.video.frames).toBe(summary.frames);
      // The audio ends with the video (one AAC frame of slack), not after the whole input's 16 s.
      expect(facts.audio).toHaveLength(1);
      expect(facts.audio[0].duration).toBeLessThan(summary.frames / 25 + 0.1);
      expect(readdirSync(tmp.dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
    }, 150_000);
  }

  /** Runs the CLI in a real pseudo-terminal (test/helpers/pty_ctrl_c.py), which types Ctrl-C or hangs up. */
  function runInTerminal(ctx: { skip(): void }, name: string, action?: 'hangup') {
    if (spawnSync('python3', ['--version']).status !== 0) {
      if (process.env.CI === 'true') throw new Error('python3 is required under CI=true');
      ctx.skip();
    }
    const out = path.join(tmp.dir, `${name}.mp4`);
    const stats = path.join(tmp.dir, `${name}.jsonl`);
    const script = path.join(repoRoot, 'test', 'helpers', 'pty_ctrl_c.py');
    const r = spawnSync('python3', [script, process.execPath, binPath, input, '-o', out, '--stats', stats, ...common], {
      cwd: repoRoot,
      env: { ...process.env, STATS: stats, ...(action ? { PTY_ACTION: action } : {}) },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { r, out, stats };
  }

  it('Ctrl-C typed into a real terminal: exit 0 and a finished overlay', async (ctx) => {
    const { r, out } = runInTerminal(ctx, 'tty');
    expect(r.stdout).toContain('SIGINT: finishing');
    expect(r.stdout).not.toMatch(/SEGSTREAM_ERR/);
    expect(r.stdout).toMatch(/EXIT 0\s*$/);
    const frames = Number(/seg-stream: (\d+) frames in/.exec(r.stdout)?.[1]);
    expect(frames).toBeGreaterThan(0);
    expect(probe(out).video.frames).toBe(frames);
  }, 150_000);

  it('a terminal that hangs up (window closed, SSH dropped): exit 0 and a finished overlay, no crash at exit', async (ctx) => {
    const { r, out, stats } = runInTerminal(ctx, 'hangup', 'hangup');
    // Node 20 aborted (SIGABRT) or crashed at exit restoring the dead terminal's modes.
    expect(r.stdout).toMatch(/EXIT 0\s*$/);
    const frames = readFileSync(stats, 'utf8').trim().split('\n').length;
    expect(frames).toBeLessThan(400);
    expect(probe(out).video.frames).toBe(frames);
  }, 150_000);

  it('a second Ctrl-C exits 130 at once, removes the temporary files and does not crash', async () => {
    const out = path.join(tmp.dir, 'twice.mp4');
    const masks = path.join(tmp.dir, 'twice-masks');
    const r = await runAndSignal([input, '-o', out, '--masks', masks, ...common], path.join(tmp.dir, 'twice.jsonl'), [
      'SIGINT',
      'SIGINT',
    ]);
    expect(r.stderr).not.toMatch(/terminate called|Napi::Error|SEGSTREAM_ERR/);
    expect(r.stderr).toContain('SIGINT again: aborted');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(existsSync(out)).toBe(false);
    const hidden = [...readdirSync(tmp.dir), ...readdirSync(masks)].filter((n) => n.endsWith('.partial'));
    expect(hidden).toEqual([]);
  }, 150_000);
});

describe('an ffmpeg child killed by a signal', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  beforeAll(async () => {
    await makeIndexedVideo(input, { width: 320, height: 180, frames: 400, fps: '25' });
  }, 60_000);
  afterAll(() => tmp.cleanup());

  it('the encoder killed with SIGKILL: one line naming the signal and what to do', async () => {
    const stats = path.join(tmp.dir, 'k.jsonl');
    const child = spawn(
      process.execPath,
      [binPath, input, '-o', path.join(tmp.dir, 'k.mp4'), '--stats', stats, '-q', '--threads', '1', '--workers', '1'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      if (!existsSync(stats) || readFileSync(stats, 'utf8').split('\n').length < 3) return;
      clearInterval(poll);
      const ps = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(child.pid)], { encoding: 'utf8' });
      const encoder = ps.stdout.split('\n').find((l) => /ffmpeg .*-i pipe:0/.test(l));
      if (encoder) process.kill(Number(encoder.trim().split(/\s+/)[0]), 'SIGKILL');
    }, 50);
    const code = await new Promise((r) => child.on('close', r));
    clearInterval(poll);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /SEGSTREAM_ERR_ENCODE_FAILED: ffmpeg encoder was killed by SIGKILL: something killed it .*; run again/,
    );
    expect(stderr).not.toContain('exit code null');
  }, 120_000);
});
