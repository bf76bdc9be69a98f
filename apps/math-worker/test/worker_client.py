"""An independent client of the Worker gRPC service, in Python (grpcio + protoc-generated stubs).

Usage: python3 worker_client.py STUBS_DIR HOST:PORT QUESTION
Prints one JSON object: the unary result and the streamed events, for the jest test to check.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from google.protobuf.json_format import MessageToDict  # noqa: E402
from slmrouter.v1 import common_pb2, worker_pb2, worker_pb2_grpc  # noqa: E402


def main() -> None:
    address, question = sys.argv[2], sys.argv[3]
    with grpc.insecure_channel(address) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        problem = common_pb2.Problem(
            text=question,
            request_id="py-1",
            metadata={"client": "python"},
            options=common_pb2.GenerationOptions(max_new_tokens=12, temperature=0.0, seed=3),
        )
        unary = stub.Generate(worker_pb2.GenerateRequest(problem=problem), timeout=60)
        events = []
        for event in stub.GenerateStream(worker_pb2.GenerateStreamRequest(problem=problem), timeout=60):
            kind = event.WhichOneof("event")
            events.append({"kind": kind, **({"delta": MessageToDict(event.delta)} if kind == "delta" else {"result": MessageToDict(event.result)})})
        info = stub.GetInfo(worker_pb2.GetInfoRequest(), timeout=10)
        print(json.dumps({
            "unary": MessageToDict(unary.result),
            "stream": events,
            "info": MessageToDict(info),
        }))


if __name__ == "__main__":
    main()
