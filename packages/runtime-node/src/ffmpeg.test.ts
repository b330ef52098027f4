import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FFMPEG_ENV, errorLine, ffmpegCapabilities, findFfmpeg, lastLine, passthroughArgs, runFfmpeg } from './ffmpeg.js';
import { ANY_FFMPEG, BUNDLED_FFMPEG, SYSTEM_FFMPEG, expectInvalidVideo, tempDir } from '../test/io-helpers.js';

const dir = await tempDir('d4rt-ffmpeg-');

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('findFfmpeg', () => {
  it.skipIf(!ANY_FFMPEG)('finds a working ffmpeg on PATH or bundled, and caches it', async () => {
    vi.stubEnv(FFMPEG_ENV, '');
    const a = await findFfmpeg();
    expect(['path', 'bundled']).toContain(a.source);
    expect(path.isAbsolute(a.path)).toBe(true);
    const t = performance.now();
    const b = await findFfmpeg({});
    expect(performance.now() - t).toBeLessThan(50);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
  });

  it.skipIf(!BUNDLED_FFMPEG)('uses options.ffmpegPath (relative paths resolved)', async () => {
    const rel = path.relative(process.cwd(), BUNDLED_FFMPEG!);
    await expect(findFfmpeg({ ffmpegPath: rel })).resolves.toEqual({ path: BUNDLED_FFMPEG, source: 'option' });
  });

  it.skipIf(!SYSTEM_FFMPEG)('uses D4RT_FFMPEG when no option is given; the option wins over it', async () => {
    vi.stubEnv(FFMPEG_ENV, SYSTEM_FFMPEG!);
    await expect(findFfmpeg()).resolves.toEqual({ path: SYSTEM_FFMPEG, source: 'env' });
    if (BUNDLED_FFMPEG) await expect(findFfmpeg({ ffmpegPath: BUNDLED_FFMPEG })).resolves.toEqual({ path: BUNDLED_FFMPEG, source: 'option' });
  });

  it.skipIf(!BUNDLED_FFMPEG)('falls back to the bundled binary when PATH has no ffmpeg', async () => {
    vi.stubEnv(FFMPEG_ENV, '');
    vi.stubEnv('PATH', dir);
    await expect(findFfmpeg()).resolves.toEqual({ path: BUNDLED_FFMPEG, source: 'bundled' });
  });

  it('an explicit option that does not work is an error, with no fallback', async () => {
    const missing = path.join(dir, 'no-such-ffmpeg');
    await expectInvalidVideo(findFfmpeg({ ffmpegPath: missing }), 'decoder-missing', /^findFfmpeg: options\.ffmpegPath \(".*no-such-ffmpeg"\) is not a working ffmpeg: it does not exist/);
    await expectInvalidVideo(findFfmpeg({ ffmpegPath: dir }), 'decoder-missing', /is a directory/);
    const notFfmpeg = path.join(dir, 'fake.sh');
    await writeFile(notFfmpeg, '#!/bin/sh\necho "hello"\n');
    await chmod(notFfmpeg, 0o755);
    await expectInvalidVideo(findFfmpeg({ ffmpegPath: notFfmpeg }), 'decoder-missing', /is not ffmpeg \(`-version` printed "hello"\)/);
    const notExecutable = path.join(dir, 'plain.txt');
    await writeFile(notExecutable, 'text');
    await expectInvalidVideo(findFfmpeg({ ffmpegPath: notExecutable }), 'decoder-missing', /is not executable/);
    await expectInvalidVideo(findFfmpeg({ ffmpegPath: 'no-such-command-d4rt' }), 'decoder-missing', /no "no-such-command-d4rt" found on PATH/);
  });

  it('a D4RT_FFMPEG that does not work is an error naming the variable', async () => {
    vi.stubEnv(FFMPEG_ENV, path.join(dir, 'missing-env-ffmpeg'));
    await expectInvalidVideo(findFfmpeg(), 'decoder-missing', /^findFfmpeg: D4RT_FFMPEG \(".*missing-env-ffmpeg"\) is not a working ffmpeg: it does not exist\. Install ffmpeg/);
  });

  it('when nothing works, lists every place tried', async () => {
    // PATH holds a broken "ffmpeg"; the bundled binary may exist, so only check the PATH entry when it does not.
    const fakeDir = path.join(dir, 'bin');
    await mkdir(fakeDir, { recursive: true });
    await writeFile(path.join(fakeDir, 'ffmpeg'), '#!/bin/sh\nexit 3\n');
    await chmod(path.join(fakeDir, 'ffmpeg'), 0o755);
    vi.stubEnv(FFMPEG_ENV, '');
    vi.stubEnv('PATH', fakeDir);
    if (BUNDLED_FFMPEG) {
      await expect(findFfmpeg()).resolves.toMatchObject({ source: 'bundled' });
    } else {
      await expectInvalidVideo(findFfmpeg(), 'decoder-missing', /no working ffmpeg found\. Tried: D4RT_FFMPEG: not set; .*PATH: .*bin\/ffmpeg: `-version` exited with code 3.*@ffmpeg-installer/);
    }
  });

  it('checks its arguments', async () => {
    await expect(findFfmpeg({ ffmpegPath: 42 as unknown as string })).rejects.toThrow(new TypeError('findFfmpeg: options.ffmpegPath (42) must be a string (path of an ffmpeg executable)'));
    await expect(findFfmpeg({ ffmpegPath: '' })).rejects.toThrow(RangeError);
    await expect(findFfmpeg(null as unknown as {})).rejects.toThrow(/^findFfmpeg: options \(null\) must be an object/);
  });
});

describe.skipIf(!ANY_FFMPEG)('ffmpeg runner', () => {
  it('knows the capabilities of each build: -fps_mode only from 5.1, libx264 in both', async () => {
    for (const bin of [SYSTEM_FFMPEG, BUNDLED_FFMPEG]) {
      if (!bin) continue;
      const caps = await ffmpegCapabilities(bin);
      expect(caps.encoders.has('libx264')).toBe(true);
      expect(caps.encoders.has('mpeg4')).toBe(true);
      expect(passthroughArgs(caps)).toEqual(bin === BUNDLED_FFMPEG ? ['-vsync', '0'] : ['-fps_mode', 'passthrough']);
    }
  });

  it('streams stdout, bounds stderr and reports the exit code', async () => {
    let bytes = 0;
    const run = await runFfmpeg(ANY_FFMPEG!, ['-hide_banner', '-nostdin', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-frames:v', '5', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
      onStdout: (c) => void (bytes += c.length),
      stderrLimit: 200,
    });
    expect(run.code).toBe(0);
    expect(bytes).toBe(5 * 64 * 48 * 3);
    expect(run.stderr.length).toBeLessThan(600);
    expect(run.stderr).toMatch(/bytes of ffmpeg output left out/);
    const failed = await runFfmpeg(ANY_FFMPEG!, ['-hide_banner', '-i', path.join(dir, 'nothing.mp4')]);
    expect(failed.code).not.toBe(0);
    expect(errorLine(failed.stderr)).toMatch(/No such file or directory/);
    expect(lastLine('frame=  1 fps=0\r\nAt least one output file must be specified\n')).toBe('');
  });

  it('kills the child on abort and rejects with the reason; an onStdout error kills it too', async () => {
    const args = ['-hide_banner', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=32x32:rate=10', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
    const controller = new AbortController();
    const reason = new Error('stop now');
    const t = performance.now();
    const running = runFfmpeg(ANY_FFMPEG!, args, { signal: controller.signal, onStdout: () => controller.abort(reason) });
    await expect(running).rejects.toBe(reason);
    expect(performance.now() - t).toBeLessThan(5000);
    const boom = new Error('sink failed');
    await expect(runFfmpeg(ANY_FFMPEG!, args, { onStdout: () => { throw boom; } })).rejects.toBe(boom);
    const pre = new AbortController();
    pre.abort(reason);
    await expect(runFfmpeg(ANY_FFMPEG!, args, { signal: pre.signal })).rejects.toBe(reason);
  });

  it('rejects when the executable cannot be spawned', async () => {
    await expect(runFfmpeg(path.join(dir, 'does-not-exist'), ['-version'])).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
