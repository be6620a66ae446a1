// Entry point of the `grove` command: builds the program and maps errors to exit codes.
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { buildProgram } from './program.js';
import { reportError } from './output.js';

exitQuietlyOnBrokenPipe();
try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
