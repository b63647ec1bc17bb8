"""Create a project and a service, deploy it, follow its logs for a few lines and wait for
the deployment. Reads SPARKI_API_KEY and SPARKI_BASE_URL; the project's name is the first
argument (default `sdk-demo`)."""

import itertools
import sys

from sparki import Client

client = Client()  # SPARKI_API_KEY, SPARKI_BASE_URL (default http://localhost:8883)
project = client.projects.create(name=sys.argv[1] if len(sys.argv) > 1 else "sdk-demo")
service = client.services.create(
    project_id=project.id,
    name="hello",
    type="web",
    image="python:3",  # a label on the local runtime, which runs `command`
    command="python3 -u -m http.server $PORT --bind 127.0.0.1",
    health_check_path="/",
    replicas=1,
)
deployment = client.services.deploy(service.id)
print(f"deploying {service.name}: {deployment.id} ({deployment.status})")

for line in itertools.islice(client.services.follow_logs(service.id), 3):
    print(f"{line.timestamp:%H:%M:%S} {line.pod} {line.message}")

deployment = client.deployments.wait(deployment.id, timeout=300)
print(f"deployment {deployment.id}: {deployment.status} in {deployment.duration_ms} ms")
