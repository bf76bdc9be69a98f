"""An independent gRPC client of the router's Router service (Python grpcio), driven by
grpc.int-spec.ts: generates stubs from proto/ into a temporary folder, runs each scenario and
prints one JSON object with what it saw."""
import json
import os
import subprocess
import sys
import tempfile
import time

proto_root, address = sys.argv[1], sys.argv[2]
out = tempfile.mkdtemp(prefix='slm-py-stubs-')
subprocess.run(
    ['protoc', f'-I{proto_root}', f'--python_out={out}', f'--grpc_out={out}', '--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin',
     'slmrouter/v1/common.proto', 'slmrouter/v1/router.proto'],
    check=True,
)
sys.path.insert(0, out)
import grpc  # noqa: E402
from slmrouter.v1 import common_pb2, router_pb2, router_pb2_grpc  # noqa: E402

seen = {}
channel = grpc.insecure_channel(address)
stub = router_pb2_grpc.RouterStub(channel)

res = stub.Solve(router_pb2.SolveRequest(problem=common_pb2.Problem(text='integral of x', request_id='py-1', metadata={'k': 'v'})), timeout=10)
seen['solve'] = {'answer': res.result.answer, 'domain': common_pb2.Domain.Name(res.result.route.domain), 'request_id': res.result.request_id, 'metadata': dict(res.result.metadata)}

events = list(stub.SolveStream(router_pb2.SolveStreamRequest(problem=common_pb2.Problem(text='python bug', domain_override=common_pb2.DOMAIN_SCIENCE)), timeout=10))
seen['stream'] = {'events': [e.WhichOneof('event') for e in events], 'route': common_pb2.Domain.Name(events[0].route.domain), 'overridden': events[0].route.overridden, 'answer': events[-1].result.answer}

cls = stub.Classify(router_pb2.ClassifyRequest(text='atom energy'), timeout=10)
seen['classify'] = {'domain': common_pb2.Domain.Name(cls.route.domain), 'scores': len(cls.route.scores)}

def error_of(call):
    try:
        call()
        return None
    except grpc.RpcError as e:
        # Our error code travels in the slm-error-code trailing metadata; the details are the message alone.
        error_code = dict(e.trailing_metadata() or ()).get('slm-error-code')
        return {'code': e.code().name, 'error_code': error_code, 'details': e.details()}

seen['empty'] = error_of(lambda: stub.Solve(router_pb2.SolveRequest(problem=common_pb2.Problem()), timeout=10))
seen['too_many_tokens'] = error_of(lambda: stub.Solve(router_pb2.SolveRequest(problem=common_pb2.Problem(text='integral', options=common_pb2.GenerationOptions(max_new_tokens=100000))), timeout=10))
seen['unknown_batch'] = error_of(lambda: stub.GetBatch(router_pb2.GetBatchRequest(batch_id='nope'), timeout=10))
seen['deadline'] = error_of(lambda: stub.Solve(router_pb2.SolveRequest(problem=common_pb2.Problem(text='hold python')), timeout=0.5))

problems = [common_pb2.Problem(text=t) for t in ['integral of a', 'python b', 'atom c', 'integral of d']]
sub = stub.SubmitBatch(router_pb2.SubmitBatchRequest(problems=problems, idempotency_key='py-batch', priority=1, metadata={'from': 'python'}), timeout=10)
again = stub.SubmitBatch(router_pb2.SubmitBatchRequest(problems=problems, idempotency_key='py-batch', priority=1, metadata={'from': 'python'}), timeout=10)
seen['key_reused_for_other_body'] = error_of(lambda: stub.SubmitBatch(router_pb2.SubmitBatchRequest(problems=problems[:1], idempotency_key='py-batch'), timeout=10))
watch = list(stub.WatchBatch(router_pb2.WatchBatchRequest(batch_id=sub.batch_id, from_index=1), timeout=30))
items = [e.item for e in watch if e.WhichOneof('event') == 'item']
statuses = [e.status for e in watch if e.WhichOneof('event') == 'status']
got = stub.GetBatch(router_pb2.GetBatchRequest(batch_id=sub.batch_id), timeout=10)
seen['batch'] = {
    'total': sub.total, 'deduplicated': again.deduplicated, 'same_id': again.batch_id == sub.batch_id,
    'item_indexes': [i.index for i in items], 'item_answers': [i.result.answer for i in items],
    'last_state': router_pb2.BatchState.Name(statuses[-1].state), 'completed': got.status.counts.completed,
    'metadata': dict(got.status.metadata),
}
cancelled = stub.CancelBatch(router_pb2.CancelBatchRequest(batch_id=sub.batch_id), timeout=10)
seen['cancel_finished'] = router_pb2.BatchState.Name(cancelled.status.state)
print(json.dumps(seen))
