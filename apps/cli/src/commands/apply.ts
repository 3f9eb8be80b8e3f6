import { ManifestCommand } from '../lib/manifest-command.js';

export default class Apply extends ManifestCommand {
  static override summary = 'Create or update everything a YAML manifest describes';
  static override description =
    'Documents are applied in dependency order (base images, images, secrets, functions, endpoints); each is ' +
    "created, or updated when it exists. A Function's sourcePath is relative to the manifest (or -w DIR), and a " +
    "value '@file' is replaced by that file's text. Any mistake in the manifest applies nothing.";
  static override examples = ['<%= config.bin %> apply -f examples/hello.yaml', '<%= config.bin %> apply -f app.yaml -w . --wait'];

  async run(): Promise<void> {
    await this.writeAll('apply', 'see dispatch apply --help');
  }
}
