"""A Python grpcio client of the router's gRPC port over TLS, driven by tls.int-spec.ts: calls
Classify with ssl_channel_credentials trusting the given CA (optionally presenting a client
certificate), then without the CA and in plaintext, and prints one JSON object with what it saw."""
import json
import subprocess
import sys
import tempfile

proto_root, address, ca_file = sys.argv[1], sys.argv[2], sys.argv[3]
client_cert, client_key = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else (None, None)
out = tempfile.mkdtemp(prefix='slm-py-stubs-')
subprocess.run(
    ['protoc', f'-I{proto_root}', f'--python_out={out}', f'--grpc_out={out}', '--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin',
     'slmrouter/v1/common.proto', 'slmrouter/v1/router.proto'],
    check=True,
)
sys.path.insert(0, out)
import grpc  # noqa: E402
from slmrouter.v1 import common_pb2, router_pb2, router_pb2_grpc  # noqa: E402


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def classify(channel):
    try:
        res = router_pb2_grpc.RouterStub(channel).Classify(router_pb2.ClassifyRequest(text='integral of x'), timeout=10)
        return {'domain': common_pb2.Domain.Name(res.route.domain)}
    except grpc.RpcError as e:
        return {'code': e.code().name, 'details': e.details()}
    finally:
        channel.close()


seen = {}
private_key = read(client_key) if client_key else None
certificate_chain = read(client_cert) if client_cert else None
seen['with_ca'] = classify(grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=read(ca_file), private_key=private_key, certificate_chain=certificate_chain)))
# The system's roots: the development CA is not among them.
seen['without_ca'] = classify(grpc.secure_channel(address, grpc.ssl_channel_credentials(private_key=private_key, certificate_chain=certificate_chain)))
seen['plaintext'] = classify(grpc.insecure_channel(address))
if client_cert:
    seen['ca_but_no_client_cert'] = classify(grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=read(ca_file))))
print(json.dumps(seen))
