/**
 * Makes the site's pictures of real outputs: runs the live demo of the built site (d4rt-tiny on the
 * bundled synthetic clip, wasm, in headless Chromium) and composes its canvases into
 * `public/img/outputs/` (committed; the site shows them):
 * - `hero.png`: the home page's picture: input frame with tracks, predicted depth, ground truth, 3D view;
 * - `depth.png`: input | predicted depth (scaled by one factor) | ground truth, three frames;
 * - `tracks.png`: three frames with the tracked points and their tails;
 * - `poses.png`: camera centres and viewing directions from above, predicted (one scale factor) and true;
 * - `point-cloud.png`: the 3D view of the point cloud;
 * - `pictures.json`: the sha256 of the model's graphs they were made with (the site test fails when
 *   the model changes and the pictures were not made again), the date and the figures quoted in captions.
 *
 * When the model changes: `pnpm docs:build && node apps/docs/scripts/pictures.mjs && pnpm docs:build`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@d4rt/browser-harness';
import { serveSite } from './site-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../.vitepress/dist');
const out = path.resolve(here, '../public/img/outputs');
const require = createRequire(import.meta.url);
const modelDir = path.dirname(require.resolve('@d4rt/models/d4rt-tiny/manifest.json'));

/** sha256 of the model's graphs, as pictures.json records them. */
export async function modelDigest() {
  const manifest = JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8'));
  const digest = {};
  for (const file of Object.values(manifest.files)) digest[file] = createHash('sha256').update(await readFile(path.join(modelDir, file))).digest('hex');
  return { name: manifest.name, files: digest };
}

async function main() {
  await mkdir(out, { recursive: true });
  const server = await serveSite(dist);
  const browser = await launchChromium({ viewport: { width: 1100, height: 1000 } });
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
    await page.goto(`${server.url}/demo?device=wasm`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__d4rtDemo?.state === 'ready', null, { timeout: 60_000 });
    await page.getByTestId('run').click();
    await page.waitForFunction(() => ['done', 'error'].includes(window.__d4rtDemo.state), null, { timeout: 600_000, polling: 250 });
    const state = await page.evaluate(() => ({ state: window.__d4rtDemo.state, error: window.__d4rtDemo.error }));
    if (state.state !== 'done') throw new Error(`pictures: the demo ended in state '${state.state}': ${state.error}`);

    /** Copies the 2D canvases of frame k (video, tracks overlay, depth, ground truth) into window.__snaps[k], with the depth caption. */
    const snap = async (k) => {
      await page.locator('[data-testid="frame"]').fill(String(k));
      await page.waitForTimeout(150);
      await page.evaluate(async (k) => {
        const get = (id) => document.querySelector(`[data-testid="${id}"]`);
        window.__snaps ??= {};
        window.__snaps[k] = {
          video: await createImageBitmap(get('video')),
          tracks: await createImageBitmap(get('tracks')),
          depth: await createImageBitmap(get('depth')),
          gt: await createImageBitmap(get('gt-depth')),
          caption: [...document.querySelectorAll('figcaption')].find((f) => f.textContent.startsWith('Predicted depth'))?.textContent ?? '',
        };
      }, k);
    };
    const frames = await page.evaluate(() => window.__d4rtDemo.result.depth.frames);
    const picked = [0, Math.floor((frames - 1) / 2), frames - 1];
    for (const k of picked) await snap(k);
    const cloud = async () => page.evaluate(async () => (window.__cloud = await createImageBitmap(document.querySelector('[data-testid="cloud"]'))));
    await cloud();

    // Drawing helpers in the page: a white canvas, and a label on a dark box.
    await page.evaluate(() => {
      window.__canvas = (w, h) => {
        const c = document.createElement('canvas');
        c.width = w;
        c.height = h;
        const ctx = c.getContext('2d');
        ctx.fillStyle = '#ffffff';
        ctx.fillRect(0, 0, w, h);
        ctx.imageSmoothingEnabled = false;
        ctx.font = '15px sans-serif';
        ctx.textBaseline = 'top';
        return { c, ctx };
      };
      window.__label = (ctx, text, x, y) => {
        const w = ctx.measureText(text).width;
        ctx.fillStyle = 'rgba(0,0,0,0.6)';
        ctx.fillRect(x, y, w + 12, 24);
        ctx.fillStyle = '#ffffff';
        ctx.fillText(text, x + 6, y + 5);
      };
    });
    const png = (dataUrl) => Buffer.from(dataUrl.split(',')[1], 'base64');
    const files = {};
    const save = async (name, bytes) => {
      await writeFile(path.join(out, name), bytes);
      files[name] = bytes.length;
    };
    const cell = { w: 288, h: 192, gap: 8, head: 26 };

    // hero: 2 x 2 panels of 384 x 256 with 8 px gaps, labels inside the panels.
    const k0 = picked[0];
    await save(
      'hero.png',
      png(
        await page.evaluate((k0) => {
          const s = window.__snaps[k0];
          const cloud = window.__cloud;
          const { c, ctx } = window.__canvas(776, 520);
          ctx.drawImage(s.video, 0, 0, 384, 256);
          ctx.drawImage(s.tracks, 0, 0, 384, 256);
          ctx.drawImage(s.depth, 392, 0, 384, 256);
          ctx.drawImage(s.gt, 0, 264, 384, 256);
          // The 3D view is wider than 3:2: its middle.
          const sw = Math.min(cloud.width, (cloud.height * 3) / 2);
          ctx.imageSmoothingEnabled = true;
          ctx.drawImage(cloud, (cloud.width - sw) / 2, 0, sw, cloud.height, 392, 264, 384, 256);
          window.__label(ctx, 'input frame + 48 tracks', 6, 6);
          window.__label(ctx, 'predicted depth', 398, 6);
          window.__label(ctx, 'ground truth', 6, 270);
          window.__label(ctx, 'point cloud + cameras', 398, 270);
          return c.toDataURL('image/png');
        }, k0),
      ),
    );

    // depth: rows = frames, columns = input | predicted | ground truth.
    await save(
      'depth.png',
      png(
        await page.evaluate(
          ({ picked, cell }) => {
            const { c, ctx } = window.__canvas(3 * cell.w + 2 * cell.gap, cell.head + picked.length * (cell.h + cell.gap) - cell.gap);
            ['input frame', 'predicted depth (one scale factor)', 'ground truth'].forEach((t, i) => {
              ctx.fillStyle = '#333';
              ctx.fillText(t, i * (cell.w + cell.gap), 4);
            });
            picked.forEach((k, r) => {
              const s = window.__snaps[k];
              const y = cell.head + r * (cell.h + cell.gap);
              [s.video, s.depth, s.gt].forEach((img, i) => ctx.drawImage(img, i * (cell.w + cell.gap), y, cell.w, cell.h));
              window.__label(ctx, `frame ${k}`, 4, y + 4);
            });
            return c.toDataURL('image/png');
          },
          { picked, cell },
        ),
      ),
    );

    // tracks: the three frames side by side.
    await save(
      'tracks.png',
      png(
        await page.evaluate(
          ({ picked, cell }) => {
            const { c, ctx } = window.__canvas(3 * cell.w + 2 * cell.gap, cell.head + cell.h);
            picked.forEach((k, i) => {
              const x = i * (cell.w + cell.gap);
              ctx.fillStyle = '#333';
              ctx.fillText(`frame ${k}`, x, 4);
              ctx.drawImage(window.__snaps[k].video, x, cell.head, cell.w, cell.h);
              ctx.drawImage(window.__snaps[k].tracks, x, cell.head, cell.w, cell.h);
            });
            return c.toDataURL('image/png');
          },
          { picked, cell },
        ),
      ),
    );

    // point cloud: the 3D view, turned a little to show relief.
    const cloudPng = async () => png(await page.evaluate(() => document.querySelector('[data-testid="cloud"]').toDataURL('image/png')));
    await page.locator('[data-testid="frame"]').fill(String(k0));
    await page.waitForTimeout(150);
    await page.getByTestId('cloud').scrollIntoViewIfNeeded();
    const box = await page.getByTestId('cloud').boundingBox();
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 70, cy + 35, { steps: 6 });
    await page.mouse.up();
    await page.waitForTimeout(200);
    await save('point-cloud.png', await cloudPng());

    // poses: camera centres and viewing directions seen from above (x right, z up), predicted (one
    // scale factor fitted to the ground-truth centres; the world is camera 0 in both) and true.
    const posesUrl = await page.evaluate(async () => {
      const clip = await (await fetch('/fixtures/demo/clip.json')).json();
      const cams = window.__d4rtDemo.result.cameras;
      const T = cams.frames;
      // Ground truth: row-major 4 x 4; prediction: column-major mat4.
      const gt = clip.cameraToWorld.slice(0, T).map((m) => ({ c: [m[3], m[7], m[11]], f: [m[2], m[6], m[10]], r: [m[0], m[4], m[8]] }));
      const pr = cams.cameraToWorld.map((m) => ({ c: [m[12], m[13], m[14]], f: [m[8], m[9], m[10]], r: [m[0], m[1], m[2]] }));
      let num = 0;
      let den = 0;
      for (let k = 0; k < T; k++) for (let i = 0; i < 3; i++) {
        num += gt[k].c[i] * pr[k].c[i];
        den += pr[k].c[i] * pr[k].c[i];
      }
      const s = den > 0 ? num / den : 1;
      for (const p of pr) p.c = p.c.map((v) => v * s);
      const all = [...gt, ...pr].map((p) => p.c);
      const xs = all.map((c) => c[0]);
      const zs = all.map((c) => c[2]);
      const W = 760;
      const H = 420;
      const pad = 70;
      const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...zs) - Math.min(...zs), 1e-3);
      const scale = Math.min((W - 2 * pad) / span, (H - 2 * pad - 40) / span);
      const mx = (Math.max(...xs) + Math.min(...xs)) / 2;
      const mz = (Math.max(...zs) + Math.min(...zs)) / 2;
      const X = (x) => W / 2 + (x - mx) * scale;
      const Y = (z) => H / 2 + 20 - (z - mz) * scale;
      const { c, ctx } = window.__canvas(W, H);
      ctx.imageSmoothingEnabled = true;
      const L = 0.08 * span;
      const draw = (poses, colour, fill) => {
        ctx.strokeStyle = colour;
        ctx.lineWidth = 2;
        ctx.beginPath();
        poses.forEach((p, k) => (k ? ctx.lineTo(X(p.c[0]), Y(p.c[2])) : ctx.moveTo(X(p.c[0]), Y(p.c[2]))));
        ctx.stroke();
        for (const p of poses) {
          const a = [p.c[0] + L * (p.f[0] + 0.6 * p.r[0]), p.c[2] + L * (p.f[2] + 0.6 * p.r[2])];
          const b = [p.c[0] + L * (p.f[0] - 0.6 * p.r[0]), p.c[2] + L * (p.f[2] - 0.6 * p.r[2])];
          ctx.beginPath();
          ctx.moveTo(X(p.c[0]), Y(p.c[2]));
          ctx.lineTo(X(a[0]), Y(a[1]));
          ctx.lineTo(X(b[0]), Y(b[1]));
          ctx.closePath();
          ctx.fillStyle = fill;
          ctx.fill();
          ctx.stroke();
        }
      };
      draw(gt, '#555', 'rgba(80,80,80,0.15)');
      draw(pr, '#e8590c', 'rgba(232,89,12,0.15)');
      ctx.font = '15px sans-serif';
      ctx.fillStyle = '#555';
      ctx.fillText('— ground truth', 12, 10);
      ctx.fillStyle = '#e8590c';
      ctx.fillText(`— predicted (scaled by ${s.toFixed(2)})`, 140, 10);
      ctx.fillStyle = '#777';
      ctx.fillText('camera centres and viewing directions from above (x →, z ↑), world = camera of frame 0', 12, H - 24);
      return c.toDataURL('image/png');
    });
    await save('poses.png', png(posesUrl));

    const figures = await page.evaluate(() => {
      const d = window.__d4rtDemo.result;
      return { backend: d.backend, frames: d.depth.frames, depthSize: [d.depth.width, d.depth.height], cloudPoints: d.cloud.count, tracks: d.tracks.points };
    });
    const captions = await page.evaluate((picked) => Object.fromEntries(picked.map((k) => [k, window.__snaps[k].caption])), picked);
    const record = { model: await modelDigest(), made: new Date().toISOString().slice(0, 10), frames: picked, figures, captions, files };
    await writeFile(path.join(out, 'pictures.json'), `${JSON.stringify(record, null, 2)}\n`);
    for (const [name, bytes] of Object.entries(files)) console.log(`public/img/outputs/${name} (${(bytes / 1000).toFixed(0)} KB)`);
    console.log(`pictures.json: ${record.model.name}, frames ${picked.join(', ')}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
