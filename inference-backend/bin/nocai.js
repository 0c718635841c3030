#!/usr/bin/env node
'use strict';
/*
 * The `nocai` bin (`npx nocai` at the repository root). It is plain JavaScript, committed as it
 * is, because npm links a bin only if its file exists at install time: on a fresh clone `npm ci`
 * builds nothing (.npmrc sets ignore-scripts), so a bin pointing into dist/ would not be linked
 * and `npx nocai` would look the name up in the registry instead. This file is always there; it
 * runs the built CLI, or says in one sentence how to build it.
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli.js');
if (existsSync(cli)) {
  require(cli).main();
} else {
  process.stderr.write(
    'nocai: the CLI is not built yet (inference-backend/dist/cli.js is missing): ' +
      'run `npm run build:backend` at the repository root, then try again.\n'
  );
  process.exitCode = 1;
}
