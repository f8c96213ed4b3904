"""Code that runs inside the Locust subprocess.

`locustfile` imports locust, and importing locust monkey-patches the whole process with gevent, so
the main readyscore process never imports that module: it only passes its path to
`python -m locust -f`. `sse` and `recorder` are plain Python (no locust, no gevent) so the tests and
the main process may use them.
"""
