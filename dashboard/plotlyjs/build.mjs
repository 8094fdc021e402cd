// Builds ../assets/plotly-gansu.min.js from index.js (run via `make plotly-bundle`: npm ci, then this).
// Mirrors plotly.js's own esbuild-config.js (iife, globalName Plotly, target es2016, regl alias,
// `global` -> window, define.amd -> false, process.env.NODE_DEBUG -> false), minified, with
// plotly's license banner. Deterministic: the same inputs give the same bytes.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'assets', 'plotly-gansu.min.js');
const pkgDir = join(here, 'node_modules', 'plotly.js');
const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;

// the registered traces, read from index.js so that the header cannot disagree with it
const traces = [...readFileSync(join(here, 'index.js'), 'utf8').matchAll(/require\('plotly\.js\/lib\/(\w+)'\)/g)]
    .map((m) => m[1]).filter((name) => name !== 'core').sort();

// plotly's own banner (dist/plotly.js), with the bundle named
const distBanner = readFileSync(join(pkgDir, 'dist', 'plotly.js'), 'utf8');
const license = distBanner.slice(0, distBanner.indexOf('*/') + 2)
    .replace(`* plotly.js v${version}`, `* plotly.js (gansu custom - minified) v${version}`);
if (!license.startsWith('/**') || !license.includes('Licensed under the MIT license')) {
    throw new Error('unexpected license banner in plotly.js/dist/plotly.js');
}
const banner = `/* plotly.js ${version} custom bundle: ${traces.join(', ')} */\n${license}`;

// registry.js requires maplibre-gl's CSS only when a `map` subplot registers; none does here
const noCss = {
    name: 'no-css',
    setup(b) {
        b.onResolve({ filter: /\.css$/ }, (a) => ({ path: a.path, namespace: 'no-css' }));
        b.onLoad({ filter: /.*/, namespace: 'no-css' }, () => ({ contents: '', loader: 'js' }));
    },
};

const result = await build({
    absWorkingDir: here,
    entryPoints: ['index.js'],
    bundle: true,
    format: 'iife',
    globalName: 'Plotly',
    minify: true,
    sourcemap: false,
    target: 'es2016',
    legalComments: 'eof',
    alias: { regl: '@plotly/regl' },
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    plugins: [noCss],
    banner: { js: banner },
    footer: { js: 'window.Plotly = Plotly;' },
    write: false,
    logLevel: 'warning',
});
const [file] = result.outputFiles;
writeFileSync(out, file.contents);
console.log(`${out}: ${file.contents.length} bytes; plotly.js ${version}; traces ${traces.join(', ')}`);
