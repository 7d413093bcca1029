// Resolves Solidity imports against the vetted libraries installed from npm (package.json), and
// nothing else: no file system outside them, no network.
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..', '..', 'node_modules');
const LIBRARIES = ['@openzeppelin/contracts/'];

function findImport(importPath) {
  if (!LIBRARIES.some((prefix) => importPath.startsWith(prefix)) || importPath.includes('..')) {
    return { error: `Import "${importPath}" is not available: only ${LIBRARIES.join(', ')} can be imported.` };
  }
  const file = path.join(ROOT, importPath);
  try {
    return { contents: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    return { error: `File not found: ${importPath}` };
  }
}

module.exports = { findImport, LIBRARIES };
