// `tollgate <command>`: dispatches to a command and turns usage and startup errors into clear messages.
import { certs } from './commands/certs.ts';
import { config } from './commands/config.ts';
import { migrations } from './commands/migrations.ts';
import { start } from './commands/start.ts';
import { helpText, parseOptions, UsageError } from './options.ts';

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(argv);
    const command = options.positionals[0];
    if (options.help === 'true' || command === undefined || command === 'help') {
      console.log(helpText());
      return command === undefined && options.help !== 'true' ? 1 : 0;
    }
    switch (command) {
      case 'start':
        return await start(options);
      case 'migrations':
        return await migrations(options);
      case 'config':
        return await config(options);
      case 'certs':
        return await certs(options);
      default:
        throw new UsageError(`unknown command '${command}'; run 'tollgate --help'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`tollgate: ${err.message}`);
      return 2;
    }
    if (err instanceof Error && (err.name === 'StoreNotMigratedError' || err.name === 'StoreUnavailableError')) {
      console.error(`tollgate: ${err.message}`);
      return 1;
    }
    console.error('tollgate: unexpected error', err);
    return 1;
  }
}
