// `grove tune --help | head -1`: the reader closes the pipe, the next write fails with EPIPE, and
// an 'error' event nobody listens to ends Node with a stack trace. A closed stdout or stderr means
// nobody reads any more, so the command stops quietly, as a C program killed by SIGPIPE would,
// but with the exit status it already had (0 unless an error was being reported).

export function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
}
