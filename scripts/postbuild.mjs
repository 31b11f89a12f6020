// Runs after `trunk build --release`: makes dist/ work under a strict
// Content-Security-Policy. Trunk writes its wasm loader as an inline
// <script type="module">; CSP without 'unsafe-inline' would block it, so this
// moves it into its own file (with an integrity hash) and adds the policy as
// a <meta> tag, so the page carries it wherever it is hosted.
//
// It then writes dist/sw.js, the service worker that keeps the app shell
// for second visits and offline reloads (static/sw.js): its manifest is every
// shell file with the SHA-256 of its content, so a new deploy is a new
// worker. The worker's registration (static/sw-register.js) is appended to
// the boot script, under the same integrity hash.
import { existsSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CSP } from './csp.mjs';

const STATIC = join(dirname(fileURLToPath(import.meta.url)), '..', 'static');

/** Moves Trunk's inline loader (with the service worker's registration) into a boot file and adds the CSP. */
function bootAndCsp(dist) {
  const indexPath = join(dist, 'index.html');
  let html = readFileSync(indexPath, 'utf8');
  const inline = /<script type="module">([\s\S]*?)<\/script>/;
  const m = html.match(inline);
  if (m) {
    const areas = join(dist, 'areas.json');
    let loader = m[1].trim();
    if (existsSync(areas)) {
      loader = areaLoader(loader, JSON.parse(readFileSync(areas, 'utf8')));
      // Trunk preloads the build that draws every area; the boot script fetches the link's own.
      html = html.replace(/<link rel="modulepreload" href="\.\/idemlab-web-[^>]*>/, '')
        .replace(/<link rel="preload" href="\.\/idemlab-web-[^>]*>/, '');
    }
    const body = loader + '\n\n' + readFileSync(join(STATIC, 'sw-register.js'), 'utf8');
    const name = `boot-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.js`;
    writeFileSync(join(dist, name), body);
    const sri = 'sha384-' + createHash('sha384').update(body).digest('base64');
    html = html.replace(inline, `<script type="module" src="./${name}" integrity="${sri}"></script>`);
  } else if (!/<script type="module" src="\.\/boot-/.test(html)) {
    console.error('postbuild: found neither Trunk\'s inline loader nor a boot script in dist/index.html');
    process.exit(1);
  }
  if (!html.includes('http-equiv="Content-Security-Policy"')) {
    html = html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />`);
  }
  writeFileSync(indexPath, html);
  console.log(`postbuild: ${indexPath} has no inline script and carries the CSP`);
}

/**
 * The boot script's first lines when dist/ holds a page build per area
 * (scripts/build-areas.mjs): it loads the build for the link's area, or
 * Trunk's build that draws every area when the link names none of them
 * plainly (an odd spelling, two `area=`). The page's own parser then agrees
 * with this choice, and the page moves between areas by loading itself
 * again (src/app.rs). A guided lesson, which shows every lab's page, loads
 * the build of every area.
 */
function areaLoader(trunkLoader, areas) {
  const full = trunkLoader.match(/from '(\.\/idemlab-web-[0-9a-f]+\.js)';\s*const wasm = await init\(\{ module_or_path: '(\.\/idemlab-web-[0-9a-f]+_bg\.wasm)' \}\);/);
  if (!full) {
    console.error('postbuild: Trunk\'s loader is not in the shape the area loader expects');
    process.exit(1);
  }
  const files = Object.fromEntries(Object.entries(areas).map(([slug, [js, wasm]]) => [slug, [`./${js}`, `./${wasm}`]]));
  return `// Which page build to load: the link's area's (scripts/build-areas.mjs), else the one that draws every area.
const AREAS = ${JSON.stringify(files)};
const EVERY_AREA = ${JSON.stringify([full[1], full[2]])};
function pageBuild() {
  const params = new URLSearchParams(location.search);
  // A guided lesson shows every lab's page.
  if (params.has('lesson')) return EVERY_AREA;
  const all = params.getAll('area');
  if (all.length === 0) return AREAS.about ?? EVERY_AREA;
  const plain = /(?:^\\?|&)area=([a-z]+)(?:&|$)/.exec(location.search);
  return all.length === 1 && plain && plain[1] === all[0] && Object.hasOwn(AREAS, all[0]) ? AREAS[all[0]] : EVERY_AREA;
}
const [script, wasmFile] = pageBuild();
// The wasm downloads while its glue loads.
const wasmResponse = fetch(wasmFile);
const bindings = await import(script);
const wasm = await bindings.default({ module_or_path: wasmResponse });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent("TrunkApplicationStarted", {detail: {wasm}}));`;
}

/** Every file under `dir`, as paths relative to `root` with forward slashes. */
function walk(dir, root = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? walk(path, root) : [relative(root, path).split(sep).join('/')];
  });
}

/**
 * The files the service worker keeps: all of dist/ but the worker itself and
 * the embedding example (a course page that hosts the lab, not part of it).
 */
export function shellFiles(dist) {
  return walk(dist).filter((n) => n !== 'sw.js' && !n.startsWith('embed-example')).sort();
}

/** Writes dist/sw.js for the files in `dist` as they are now; returns its version. */
export function writeServiceWorker(dist) {
  const files = {};
  for (const name of shellFiles(dist)) {
    files[name] = createHash('sha256').update(readFileSync(join(dist, name))).digest('hex');
  }
  const version = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
  const head = '// Written by scripts/postbuild.mjs: the shell files and their SHA-256, then static/sw.js.\n'
    + `const VERSION = ${JSON.stringify(version)};\nconst FILES = ${JSON.stringify(files, null, 2)};\n\n`;
  writeFileSync(join(dist, 'sw.js'), head + readFileSync(join(STATIC, 'sw.js'), 'utf8'));
  return version;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dist = process.argv[2] || 'dist';
  bootAndCsp(dist);
  const version = writeServiceWorker(dist);
  console.log(`postbuild: ${join(dist, 'sw.js')} keeps ${shellFiles(dist).length} shell files (version ${version})`);
}
