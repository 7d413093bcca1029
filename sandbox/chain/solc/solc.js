#!/usr/bin/env node
// A `solc` that py-solc-x can drive: `--version` and `--standard-json` (input on stdin, only the
// output JSON on stdout). solcjs itself prints a line before its JSON, which py-solc-x cannot parse.
'use strict';
const solc = require('solc');
const { findImport } = require('./imports');

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('only --version and --standard-json are supported\n');
  process.exit(2);
}
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  process.stdout.write(solc.compile(input, { import: findImport }));
});
