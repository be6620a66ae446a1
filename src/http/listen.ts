// Starting and stopping grove's HTTP servers (grove serve, grove server) the same way: a clear
// error when the port cannot be had, and a shutdown that lets requests in flight finish.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GroveError } from '../errors.js';

/** Listens on host:port; a taken or forbidden port is an INVALID_OPTION naming --port. */
export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use (another server?); pick another --port' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new GroveError('INVALID_OPTION', `cannot listen on ${host}:${port}: ${why}`, { option: '--port', value: port }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** http://host:port for a bound address (IPv6 hosts in brackets). */
export function urlOf(address: AddressInfo): string {
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/** Stops accepting, closes idle connections now and busy ones after graceMs; resolves once closed. */
export function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
