// Compile Solidity with the npm `solc` (solcjs) using the standard JSON interface.
//
// Usage: node tests/chain/compile.mjs PROJECT_ROOT < input.json > output.json
//
// The standard JSON input comes on stdin with the project's own sources inlined; imports
// such as "@openzeppelin/contracts/..." are read from PROJECT_ROOT/node_modules. The standard
// JSON output goes to stdout unchanged. The first line of stderr is never part of the protocol.
import { createRequire } from 'node:module'
import * as fs from 'node:fs'
import * as path from 'node:path'

const root = path.resolve(process.argv[2] ?? process.cwd())
const require = createRequire(path.join(root, 'package.json'))
const solc = require('solc')

const nodeModules = path.join(root, 'node_modules')

function findImports (importPath) {
  // Only package imports are resolved; a path escaping node_modules is refused.
  const full = path.resolve(nodeModules, importPath)
  if (!full.startsWith(nodeModules + path.sep)) {
    return { error: `import outside node_modules refused: ${importPath}` }
  }
  try {
    return { contents: fs.readFileSync(full, 'utf8') }
  } catch (err) {
    return { error: `cannot read ${importPath}: ${err.message}` }
  }
}

const input = fs.readFileSync(0, 'utf8')
const output = solc.compile(input, { import: findImports })
process.stdout.write(output)
