from app import db


def test_liveness(client):
    assert client.get("/livez").json() == {"status": "ok"}


def test_readiness_reflects_the_database(client, monkeypatch):
    assert client.get("/readyz").json()["checks"]["database"] == "ok"
    monkeypatch.setattr(db, "ping", lambda: False)
    assert client.get("/readyz").status_code == 503
