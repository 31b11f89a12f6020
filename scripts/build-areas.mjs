// Builds the page once per area, after `trunk build --release` and before
// scripts/postbuild.mjs (issue 27). Trunk's build draws every area; each
// build here is the same crate with `IDEMLAB_AREA=<slug>`, which leaves the
// other areas' pages out of the wasm (src/labs/mod.rs, `built`), so a first
// visit downloads the lab it opens and not the other four. The areas are
// the lab registry's (tests/e2e/labs.json, written from `idemlab labs`)
// and its pages that run no engine (Recall).
//
// Each build goes through the same wasm-bindgen and wasm-opt as Trunk's
// (their versions are pinned in Trunk.toml and installed by scripts/lib.sh)
// and lands in dist/ as area-<slug>-<hash>.js and its _bg.wasm. It writes
// dist/areas.json, { slug: [js, wasm] }, which postbuild.mjs turns into the
// boot script's choice.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The slugs of every area: the registry's labs, then the pages that run no engine. */
export function areaSlugs() {
  const { labs, pages } = JSON.parse(readFileSync(join(ROOT, 'tests/e2e/labs.json'), 'utf8'));
  return [...labs.map((l) => l.slug), ...pages];
}

/** Where cargo puts the page's wasm for the profile Trunk uses (index.html's data-cargo-profile). */
function targetWasm() {
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: ROOT, maxBuffer: 1 << 26 }));
  return join(meta.target_directory, 'wasm32-unknown-unknown', 'wasm-release', 'idemlab-web.wasm');
}

/** Builds one area's page into `dist`; returns its [js, wasm] file names. */
function buildArea(slug, dist) {
  const run = (cmd, args, env = {}) => execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  run('cargo', ['build', '--quiet', '--profile', 'wasm-release', '--target', 'wasm32-unknown-unknown', '-p', 'idemlab-page', '--bin', 'idemlab-web'], { IDEMLAB_AREA: slug });
  const tmp = mkdtempSync(join(tmpdir(), `idemlab-area-${slug}-`));
  try {
    run('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-dir', tmp, '--out-name', 'page', targetWasm()]);
    const opt = join(tmp, 'opt.wasm');
    run('wasm-opt', ['-Oz', join(tmp, 'page_bg.wasm'), '-o', opt]);
    const wasm = readFileSync(opt);
    const js = readFileSync(join(tmp, 'page.js'));
    const hash = createHash('sha256').update(wasm).update(js).digest('hex').slice(0, 16);
    const names = [`area-${slug}-${hash}.js`, `area-${slug}-${hash}_bg.wasm`];
    writeFileSync(join(dist, names[0]), js);
    writeFileSync(join(dist, names[1]), wasm);
    return names;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Builds every area's page into `dist` and writes dist/areas.json. Named
 * areas (`node scripts/build-areas.mjs dist keys races`) rebuild only those,
 * keeping the others' builds listed in dist/areas.json.
 */
function main(dist, only) {
  if (!existsSync(join(dist, 'index.html'))) {
    console.error(`build-areas: ${dist}/index.html is missing: run trunk build --release first`);
    process.exit(1);
  }
  const listed = join(dist, 'areas.json');
  const areas = only.length && existsSync(listed) ? JSON.parse(readFileSync(listed, 'utf8')) : {};
  const unknown = only.filter((s) => !areaSlugs().includes(s));
  if (unknown.length) {
    console.error(`build-areas: no area called ${unknown.join(', ')} (areas: ${areaSlugs().join(', ')})`);
    process.exit(1);
  }
  for (const slug of only.length ? only : areaSlugs()) {
    areas[slug] = buildArea(slug, dist);
    const gz = gzipSync(readFileSync(join(dist, areas[slug][1])), { level: 9 }).length;
    console.log(`build-areas: ${slug}: ${areas[slug][1]} (${Math.round(gz / 1000)} KB gzipped)`);
  }
  // The cargo artefact now holds the last area's build; the next plain build relinks it.
  writeFileSync(listed, JSON.stringify(areas, null, 2) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv[2] || 'dist', process.argv.slice(3));
