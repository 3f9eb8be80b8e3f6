import { BaseCommand } from '../base-command.js';
import { defaultConfigPath, readConfigFile, writeConfigFile, type ConfigFile } from './config-file.js';
import { CliError } from './errors.js';

/** The `context` commands: they read and write the config file rather than talk to a gateway. */
export abstract class ContextCommand extends BaseCommand<typeof ContextCommand> {
  protected get configPath(): string {
    return (this.flags as { config?: string }).config ?? defaultConfigPath();
  }

  protected async readConfig(): Promise<ConfigFile> {
    return (await readConfigFile(this.configPath, { mustExist: false })) ?? { contexts: {} };
  }

  protected writeConfig(config: ConfigFile): Promise<void> {
    return writeConfigFile(this.configPath, config);
  }

  /** Throws the same 404 as any command given an unknown `--context`. */
  protected requireContext(config: ConfigFile, name: string): void {
    if (Object.hasOwn(config.contexts, name)) return;
    const known = Object.keys(config.contexts).sort();
    const listed = known.length === 0 ? 'the file has no contexts' : `known: ${known.join(', ')}`;
    throw new CliError(404, `context "${name}" not found in ${this.configPath}; ${listed}`);
  }
}
