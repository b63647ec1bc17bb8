def test_health(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json["checks"] == {"app": "ok", "database": "ok", "redis": "ok"}
