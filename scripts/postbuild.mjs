// Runs after `trunk build --release`: makes dist/ work under a strict
// Content-Security-Policy. Trunk writes its wasm loader as an inline
// <script type="module">; CSP without 'unsafe-inline' would block it, so this
// moves it into its own file (with an integrity hash) and adds the policy as
// a <meta> tag, so the page carries it wherever it is hosted.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CSP } from './csp.mjs';

const dist = process.argv[2] || 'dist';
const indexPath = join(dist, 'index.html');
let html = readFileSync(indexPath, 'utf8');


const inline = /<script type="module">([\s\S]*?)<\/script>/;
const m = html.match(inline);
if (m) {
  const body = m[1].trim() + '\n';
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
