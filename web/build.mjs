#!/usr/bin/env node
// Builds the board page: bundles src/main.js (and everything it imports, node_modules
// included) into one minified ES2020 script, copies src/index.html and the other static
// files of src/ (CSS, images) under content-hashed names, and rewrites the references in
// index.html and the CSS to those names.
//
//   node build.mjs --out-dir DIR   writes DIR/index.html and DIR/assets/*
//   node build.mjs --cpp FILE      writes FILE: a C++ source defining the asset table that
//                                  server/api/page_assets.h declares (bytes, content type,
//                                  strong ETag), compiled into agor
//
// Both may be given. Output is deterministic (same sources -> same bytes), so the hashed
// names only change when content does, and browsers may cache /assets/* forever.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, 'src');

// The build never installs packages itself (it would reach the network, and concurrent
// builds of several build folders would race on web/node_modules): `make setup` runs
// `npm ci`. A missing or stale install (older than the lock) stops here with that advice
// rather than with a module resolution error.
function checkInstalled() {
  const installed = join(here, 'node_modules', '.package-lock.json');
  const lock = join(here, 'package-lock.json');
  if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
    console.error('web/build.mjs: web/node_modules is missing or older than web/package-lock.json: run `make setup` (or `npm ci` in web/)');
    process.exit(1);
  }
}

// Content types of the static files we ship; a file of src/ with another extension is an
// error rather than something served as application/octet-stream by accident.
const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

function parseArgs(argv) {
  const opts = { outDir: null, cpp: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a === '--out-dir' || a === '--cpp') && i + 1 < argv.length) {
      opts[a === '--cpp' ? 'cpp' : 'outDir'] = argv[++i];
    } else {
      throw new Error(`build.mjs: unknown argument ${a} (usage: --out-dir DIR and/or --cpp FILE)`);
    }
  }
  if (!opts.outDir && !opts.cpp) throw new Error('build.mjs: give --out-dir DIR and/or --cpp FILE');
  return opts;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// "style.css" + bytes -> "style-1a2b3c4d.css"
function hashedName(name, bytes) {
  const ext = extname(name);
  return `${name.slice(0, -ext.length)}-${sha256(bytes).slice(0, 8)}${ext}`;
}

// Replaces references to the source names ("style.css", "./style.css", "/style.css") in
// attribute values and CSS url()s by the served paths. Only whole quoted/parenthesised
// references are rewritten so that a name appearing in text is left alone.
function rewriteRefs(text, renames) {
  for (const [from, to] of renames) {
    const esc = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(new RegExp(`(["'(])(?:\\./|/)?${esc}(["')])`, 'g'), `$1${to}$2`);
  }
  return text;
}

async function bundleScript() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(srcDir, 'main.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  return Buffer.from(result.outputFiles[0].contents);
}

// Returns [{ path, contentType, body, immutable }], index.html first.
async function collectAssets() {
  const files = readdirSync(srcDir).sort();
  if (!files.includes('index.html') || !files.includes('main.js')) {
    throw new Error('build.mjs: src/index.html and src/main.js are required');
  }
  const assets = [];
  const renames = [];
  const add = (name, body) => {
    const path = `/assets/${hashedName(name, body)}`;
    assets.push({ path, contentType: contentTypes[extname(name)], body, immutable: true });
    renames.push([name, path]);
  };
  // Images and fonts first: CSS may reference them, and its own hash covers the rewrite.
  const statics = files.filter((f) => !['.html', '.js', '.css'].includes(extname(f)));
  for (const f of statics) {
    if (!contentTypes[extname(f)]) throw new Error(`build.mjs: no content type for src/${f}`);
    add(f, readFileSync(join(srcDir, f)));
  }
  for (const f of files.filter((f) => extname(f) === '.css')) {
    add(f, Buffer.from(rewriteRefs(readFileSync(join(srcDir, f), 'utf8'), renames)));
  }
  // The bundle replaces main.js; the other .js files are modules it imports.
  const js = await bundleScript();
  const jsPath = `/assets/${hashedName('app.js', js)}`;
  assets.push({ path: jsPath, contentType: contentTypes['.js'], body: js, immutable: true });
  renames.push(['main.js', jsPath]);
  for (const f of files.filter((f) => extname(f) === '.html')) {
    if (f !== 'index.html') throw new Error(`build.mjs: only src/index.html is served, not ${f}`);
  }
  const html = Buffer.from(rewriteRefs(readFileSync(join(srcDir, 'index.html'), 'utf8'), renames));
  assets.unshift({ path: '/index.html', contentType: contentTypes['.html'], body: html, immutable: false });
  return assets;
}

function writeOutDir(dir, assets) {
  for (const a of assets) {
    const file = join(dir, a.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, a.body);
  }
}

// A C++ string literal for bytes, as adjacent literals of ~100 columns. Printable ASCII is
// kept as is; everything else is a 3-digit octal escape (never hex: a hex escape would
// swallow following hex digits). '?' is escaped against trigraphs. String literals compile
// much faster than a {0x.., ...} initializer list for a ~150 KB bundle.
function cppLiteral(bytes) {
  const lines = [];
  let line = '';
  for (const b of bytes) {
    let c;
    if (b === 0x5c) c = '\\\\';
    else if (b === 0x22) c = '\\"';
    else if (b === 0x3f) c = '\\?';
    else if (b === 0x0a) c = '\\n';
    else if (b >= 0x20 && b < 0x7f) c = String.fromCharCode(b);
    else c = '\\' + b.toString(8).padStart(3, '0');
    line += c;
    if (line.length >= 100 || b === 0x0a) {
      lines.push(`"${line}"`);
      line = '';
    }
  }
  if (line || lines.length === 0) lines.push(`"${line}"`);
  return lines.join('\n    ');
}

function cppSource(assets) {
  const out = [
    '// Generated by web/build.mjs from web/src: do not edit, rebuild instead.',
    '#include "server/api/page_assets.h"',
    '',
    '#include <cstddef>',
    '',
    'namespace agor::page_assets_data {',
    'namespace {',
  ];
  assets.forEach((a, i) => out.push(`const char kBody${i}[] =\n    ${cppLiteral(a.body)};`));
  out.push('}  // namespace', '', 'const PageAsset kAssets[] = {');
  assets.forEach((a, i) => {
    const etag = `\\"${sha256(a.body).slice(0, 16)}\\"`;
    out.push(
      `    {"${a.path}", "${a.contentType}", std::string_view(kBody${i}, sizeof(kBody${i}) - 1),`,
      `     "${etag}", ${a.immutable}},`,
    );
  });
  out.push('};', `const std::size_t kAssetCount = ${assets.length};`, '', '}  // namespace agor::page_assets_data', '');
  return out.join('\n');
}

const opts = parseArgs(process.argv.slice(2));
checkInstalled();
const assets = await collectAssets();
if (opts.outDir) writeOutDir(opts.outDir, assets);
if (opts.cpp) {
  mkdirSync(dirname(opts.cpp), { recursive: true });
  writeFileSync(opts.cpp, cppSource(assets));
}
for (const a of assets) console.log(`${a.path}  ${a.body.length} bytes`);
