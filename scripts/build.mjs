// Build: bundles the two pages for the browser (build/public) and transpiles the Node side
// (server, shared, tools, tests, benches) file by file into build/node. Type-checking is `npm run typecheck`.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'build');
const watch = process.argv.includes('--watch');

function listTs(dir) {
  const files = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return files;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files.push(...listTs(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) files.push(p);
  }
  return files;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'public'), { recursive: true });

const pages = ['broadcast', 'listen', 'admin', 'again'];
const browser = {
  entryPoints: {
    ...Object.fromEntries(pages.map((p) => [p, join(root, 'src', p, 'main.tsx')])),
    // The low-latency player's AudioWorklet module, loaded by URL (src/listen/packets-session.ts).
    'jitter-worklet': join(root, 'src', 'listen', 'jitter-worklet.ts'),
  },
  bundle: true,
  format: 'esm',
  target: ['chrome105', 'firefox115', 'safari15'],
  outdir: join(out, 'public', 'assets'),
  sourcemap: true,
  minify: !watch,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
};
// Static files (html, css, icons) sit next to each page's code.
for (const p of pages) cpSync(join(root, 'src', p, 'static'), join(out, 'public'), { recursive: true });

// The listener page and the embeddable player are one template (src/listen/static/index.html) with a
// flag: its `<body data-embed-flag>` becomes `<body>` in index.html, `<body class="embed">` in embed.html.
const EMBED_FLAG = '<body data-embed-flag>';
const listenerTemplate = readFileSync(join(root, 'src', 'listen', 'static', 'index.html'), 'utf8');
if (listenerTemplate.split(EMBED_FLAG).length !== 2) {
  throw new Error(`src/listen/static/index.html must hold ${EMBED_FLAG} exactly once`);
}
writeFileSync(join(out, 'public', 'index.html'), listenerTemplate.replace(EMBED_FLAG, '<body>'));
writeFileSync(
  join(out, 'public', 'embed.html'),
  listenerTemplate.replace(EMBED_FLAG, '<body class="embed">'),
);

const node = {
  entryPoints: [
    ...['src/server', 'src/shared', 'tools', 'test', 'bench', 'scripts'].flatMap((d) =>
      listTs(join(root, d)),
    ),
    // The pages' own modules (not the .tsx widgets), for their unit tests: none touches the DOM on import.
    ...['listen', 'broadcast', 'web', 'again'].flatMap((d) =>
      listTs(join(root, 'src', d)).filter((f) => f.endsWith('.ts') && !f.endsWith('jitter-worklet.ts')),
    ),
  ],
  outdir: join(out, 'node'),
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
};

if (watch) {
  await (await esbuild.context(browser)).watch();
  await (await esbuild.context(node)).watch();
  console.log('watching', relative(process.cwd(), out));
} else {
  await Promise.all([esbuild.build(browser), esbuild.build(node)]);
}
