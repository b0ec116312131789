import { readFileSync } from 'node:fs';
import path from 'node:path';
// @grpc/grpc-js comes with @temporalio/client (its transport); the SDK's reflection root lists Temporal's services.
import * as grpc from '@grpc/grpc-js';
import protoRoot from '@temporalio/proto/protos/root';

const TLS = path.resolve(__dirname, '../fixtures/tls');
const SERVICES = ['temporal.api.workflowservice.v1.WorkflowService', 'temporal.api.operatorservice.v1.OperatorService'];

/** What one call carried on the wire, as the TLS endpoint saw it. */
export interface SeenCall {
  readonly method: string;
  readonly authorization: string | undefined;
  /** CN of the client certificate presented in the TLS handshake. */
  readonly clientCertificate: string | undefined;
}

/**
 * A TLS front for a plaintext Temporal server, as a managed cluster looks to a client: it presents the `temporal.test`
 * certificate of test/fixtures/tls (signed by its ca.pem), can require a client certificate from that CA (mTLS),
 * records each call's `authorization` header and client certificate, and forwards the call, bytes untouched; the
 * methods in `refuse` it answers PERMISSION_DENIED, as Temporal Cloud does to credentials without the right role.
 */
export async function startTemporalTlsProxy(
  upstream: string,
  opts: { requireClientCertificate: boolean; refuse?: readonly string[] },
) {
  const calls: SeenCall[] = [];
  const identity = (b: Buffer) => b;
  const target = new grpc.Client(upstream, grpc.credentials.createInsecure());
  const server = new grpc.Server();
  const root = protoRoot as unknown as { lookupService(name: string): { methods: Record<string, unknown> } };
  for (const service of SERVICES) {
    for (const method of Object.keys(root.lookupService(service).methods)) {
      const route = `/${service}/${method}`;
      const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
        const cn = call.getAuthContext().sslPeerCertificate?.subject?.CN;
        calls.push({
          method,
          authorization: call.metadata.get('authorization')[0]?.toString(),
          clientCertificate: Array.isArray(cn) ? cn.join(',') : cn,
        });
        if (opts.refuse?.includes(method)) {
          callback({ code: grpc.status.PERMISSION_DENIED, details: 'Request unauthorized.' });
          return;
        }
        const forwarded = target.makeUnaryRequest(
          route,
          identity,
          identity,
          call.request,
          call.metadata,
          { deadline: call.getDeadline() },
          callback,
        );
        call.on('cancelled', () => forwarded.cancel());
      };
      server.register(route, handler, identity, identity, 'unary');
    }
  }
  const credentials = grpc.ServerCredentials.createSsl(
    readFileSync(path.join(TLS, 'ca.pem')),
    [
      {
        cert_chain: readFileSync(path.join(TLS, 'server.pem')),
        private_key: readFileSync(path.join(TLS, 'server-key.pem')),
      },
    ],
    opts.requireClientCertificate,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    close: () => {
      // long polls may be in flight: end them rather than wait out their minute
      server.forceShutdown();
      target.close();
    },
  };
}
