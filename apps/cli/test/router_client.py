"""A Python grpcio client of the Router service, as a user in another language writes one:
stubs generated from proto/ with protoc, then Solve and SolveStream. Prints one JSON object.
Usage: router_client.py PROTO_ROOT HOST:PORT"""
import json
import subprocess
import sys
import tempfile

proto_root, address = sys.argv[1], sys.argv[2]
stubs = tempfile.mkdtemp(prefix='slm-e2e-stubs-')
subprocess.run(
    ['protoc', f'-I{proto_root}', f'--python_out={stubs}', f'--grpc_out={stubs}',
     '--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin', 'slmrouter/v1/common.proto', 'slmrouter/v1/router.proto'],
    check=True,
)
sys.path.insert(0, stubs)
import grpc  # noqa: E402
from slmrouter.v1 import common_pb2, router_pb2, router_pb2_grpc  # noqa: E402

stub = router_pb2_grpc.RouterStub(grpc.insecure_channel(address))
options = common_pb2.GenerationOptions(max_new_tokens=6, temperature=0)
problem = common_pb2.Problem(text='Compute the integral of x^2 from 0 to 3.', options=options, request_id='py-e2e-1')

solved = stub.Solve(router_pb2.SolveRequest(problem=problem), timeout=60).result
events = list(stub.SolveStream(router_pb2.SolveStreamRequest(problem=problem), timeout=60))
print(json.dumps({
    'solve': {
        'request_id': solved.request_id,
        'domain': common_pb2.Domain.Name(solved.route.domain),
        'synthetic_weights': solved.synthetic_weights,
        'completion_tokens': solved.usage.completion_tokens,
        'finish_reason': common_pb2.FinishReason.Name(solved.finish_reason),
    },
    'stream': {
        'first': events[0].WhichOneof('event'),
        'last': events[-1].WhichOneof('event'),
        'text': events[-1].result.text,
        'deltas': ''.join(e.delta.text for e in events if e.WhichOneof('event') == 'delta'),
    },
}))
