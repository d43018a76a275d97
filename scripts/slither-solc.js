#!/usr/bin/env node
// The `solc` that slither (crytic-compile) runs: scripts/solc-shim.js with the project's compiler settings.
// crytic-compile writes its own standard-JSON input (sources, remappings, output selection, optimizer off); the
// contracts only compile through the IR pipeline ("stack too deep" otherwise), so this script merges the settings
// that ledger/chain/compile.py uses, given as JSON in LEDGER_SOLC_SETTINGS by scripts/slither_gate.py, into that input
// and hands it to the shim. `--version` is answered by the shim itself.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const shim = path.join(__dirname, 'solc-shim.js');
const args = process.argv.slice(2);

let input;
if (args.includes('--standard-json')) {
  const overrides = process.env.LEDGER_SOLC_SETTINGS;
  if (!overrides) {
    process.stderr.write('slither-solc.js: LEDGER_SOLC_SETTINGS is not set (run it through scripts/slither)\n');
    process.exit(2);
  }
  const json = JSON.parse(fs.readFileSync(0, 'utf8'));
  json.settings = { ...(json.settings || {}), ...JSON.parse(overrides) };
  input = JSON.stringify(json);
}
const result = spawnSync(process.execPath, [shim, ...args], { input, stdio: ['pipe', 'inherit', 'inherit'] });
if (result.error) throw result.error;
process.exit(result.status === null ? 1 : result.status);
