// The Herald journeys extension: starts `herald lsp` (the path is the `herald.server.path`
// setting) for .journey files and restarts it when the setting changes.
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function createClient() {
  const command = vscode.workspace.getConfiguration('herald').get('server.path') || 'herald';
  const serverOptions = { command, args: ['lsp'], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'journey' }],
    // Templates and journeys changed outside the editor are checked again.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{journey,mustache}') },
  };
  return new LanguageClient('herald', 'Herald journeys', serverOptions, clientOptions);
}

async function activate(context) {
  client = createClient();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration('herald.server.path')) return;
      if (client) await client.stop();
      client = createClient();
      await client.start();
    })
  );
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
