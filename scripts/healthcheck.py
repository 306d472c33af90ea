"""Container health check for `web` (docker-compose.yml): GET /healthz (database, Redis, and a
Celery worker holding every task of the code) as the reverse proxy would send it — with a host name
from ALLOWED_HOSTS and X-Forwarded-Proto: https, so neither the host check nor the HTTPS redirect of
the production settings gets in the way."""

import os
import sys
import urllib.request

PORT = os.environ.get("PORT", "8000")


def main() -> int:
    allowed = os.environ.get("ALLOWED_HOSTS", "").split(",")
    hosts = [host.strip() for host in allowed if host.strip()]
    host = (hosts[0] if hosts else "localhost").lstrip(".")
    if host == "*":
        host = "localhost"
    request = urllib.request.Request(  # noqa: S310 - a fixed http URL on the loopback interface
        f"http://127.0.0.1:{PORT}/healthz",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
