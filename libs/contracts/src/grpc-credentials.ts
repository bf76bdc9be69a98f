import * as grpc from '@grpc/grpc-js';

/** A gRPC server's certificate and key (PEM text); with `ca`, callers need a client certificate it signed. */
export interface GrpcServerTls {
  cert: string;
  key: string;
  ca?: string;
}

/** What a gRPC client trusts (PEM CA) and, for mutual TLS, the certificate and key it presents. */
export interface GrpcClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * Server credentials: plaintext without `tls` (the zero-configuration default), TLS with it, and
 * mutual TLS (a client certificate signed by `tls.ca` is required) when it has a CA.
 */
export function grpcServerCredentials(tls: GrpcServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const keyCertPairs = [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }];
  return tls.ca
    ? grpc.ServerCredentials.createSsl(Buffer.from(tls.ca), keyCertPairs, true)
    : grpc.ServerCredentials.createSsl(null, keyCertPairs, false);
}

/** Channel credentials: plaintext without `tls`, else TLS trusting `tls.ca`, presenting `tls.cert` when given. */
export function grpcChannelCredentials(tls: GrpcClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(Buffer.from(tls.ca), tls.key ? Buffer.from(tls.key) : null, tls.cert ? Buffer.from(tls.cert) : null);
}

/** How a server with these TLS settings is reached, for its "listening" log line. */
export function describeTransport(tls: GrpcServerTls | undefined): 'plaintext' | 'TLS' | 'mutual TLS' {
  if (!tls) return 'plaintext';
  return tls.ca ? 'mutual TLS' : 'TLS';
}
