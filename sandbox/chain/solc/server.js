#!/usr/bin/env node
// The warm compiler: one Node process that keeps solc loaded and compiles one standard-JSON input
// per line of stdin, answering one line of JSON per request on stdout: {"id": ..., "output": ...}.
'use strict';
const readline = require('readline');
const solc = require('solc');
const { findImport } = require('./imports');

process.stdout.write(JSON.stringify({ ready: true, version: solc.version() }) + '\n');
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let id = null;
  try {
    const request = JSON.parse(line);
    id = request.id;
    const output = solc.compile(JSON.stringify(request.input), { import: findImport });
    process.stdout.write(JSON.stringify({ id, output: JSON.parse(output) }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ id, error: String(e && e.message || e) }) + '\n');
  }
});
lines.on('close', () => process.exit(0));
