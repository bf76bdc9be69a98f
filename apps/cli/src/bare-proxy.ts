/**
 * The floor that `slm bench router` compares the router against: a process that forwards each
 * request to one worker with no classification, validation, limits, metrics or framework — bare
 * `node:http` and bare grpc-js, the same libraries the router runs on. What this adds over a direct
 * worker call is the price of the extra hop itself on the machine; the router's added latency above
 * it is what the router's own work costs.
 *
 * Run as a child process: `node bare-proxy.js <workerAddress>`; it prints `{"httpPort":…,"grpcPort":…}`
 * once both listeners are up.
 */
import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { loadProto, type GenerateResponse__Output, type Problem, type SolveRequest__Output, type SolveResponse } from '@slm/contracts';

function main(workerAddress: string): void {
  const proto = loadProto();
  const worker = new proto.slmrouter.v1.Worker(workerAddress, grpc.credentials.createInsecure());
  const generate = (
    problem: Problem,
    deadline: grpc.Deadline,
    done: (err: grpc.ServiceError | null, res?: GenerateResponse__Output) => void,
  ) => worker.generate({ problem }, { deadline }, done);

  const grpcServer = new grpc.Server();
  grpcServer.addService(proto.slmrouter.v1.Router.service, {
    solve: (call: grpc.ServerUnaryCall<SolveRequest__Output, SolveResponse>, callback: grpc.sendUnaryData<SolveResponse>) =>
      generate(call.request.problem ?? { text: '' }, call.getDeadline(), (err, res) =>
        err ? callback(err) : callback(null, { result: res?.result }),
      ),
  });

  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const problem = JSON.parse(Buffer.concat(chunks).toString()) as Problem;
      generate(problem, Date.now() + 30_000, (err, reply) => {
        res.writeHead(err ? 502 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(err ? { code: 'UNAVAILABLE', message: err.message } : { result: reply?.result }));
      });
    });
  });

  grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, grpcPort) => {
    if (err) throw err;
    httpServer.listen(0, '127.0.0.1', () => {
      const address = httpServer.address();
      const httpPort = typeof address === 'object' && address ? address.port : 0;
      process.stdout.write(`${JSON.stringify({ httpPort, grpcPort })}\n`);
    });
  });
  process.on('SIGTERM', () => {
    httpServer.close();
    grpcServer.forceShutdown();
    worker.close();
  });
}

main(process.argv[2] ?? '');
