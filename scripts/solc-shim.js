#!/usr/bin/env node
// A `solc` binary look-alike for py-solc-x, backed by the pinned npm `solc` (solcjs, WebAssembly).
// Answers `--version` and `--standard-json` (input on stdin, imports resolved from node_modules or the project root;
// an absolute path, as crytic-compile gives for slither, as is) and prints nothing but the compiler's JSON, which
// the solcjs CLI does not.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'node_modules', 'solc'));

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : [path.join(root, 'node_modules', importPath), path.join(root, importPath)];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes('--standard-json')) {
  const input = fs.readFileSync(0, 'utf8');
  process.stdout.write(solc.compile(input, { import: findImports }));
} else {
  process.stderr.write('usage: solc-shim.js --version | --standard-json < input.json\n');
  process.exit(2);
}
