"""`python -m readyscore.loadgen`: where the locustfile is, and how to start a worker with it.

For a load test across machines (docs/load.md): readyscore runs the Locust master; each worker
machine, with readyscore installed, starts Locust with this locustfile in worker mode.
"""

from pathlib import Path

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"

if __name__ == "__main__":
    print(LOCUSTFILE)
    print(f"\nstart a worker:\n  READYSCORE_LOAD_API_KEY=... python -m locust -f {LOCUSTFILE} --worker "
          "--master-host MASTER_HOST --master-port 5557")
