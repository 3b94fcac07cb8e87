/**
 * npm run build:console: bundles the admin console (src/console) into dist/console with esbuild, no CDN:
 * the page, its script, its styles and uPlot's. Runs at `npm install` (prepare); where the dev tools are
 * not installed (a production-only install) it says so and leaves the build to the image's build stage.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  process.stdout.write('build:console skipped: esbuild is not installed (a production-only install)\n');
  process.exit(0);
}
const out = join(root, 'dist', 'console');
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { console: join(root, 'src', 'console', 'main.ts') },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: 'es2022',
  outdir: out,
  logLevel: 'warning',
});
copyFileSync(join(root, 'src', 'console', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'src', 'console', 'console.css'), join(out, 'console.css'));
copyFileSync(require.resolve('uplot/dist/uPlot.min.css'), join(out, 'uPlot.min.css'));
process.stdout.write(`console built into ${out}\n`);
