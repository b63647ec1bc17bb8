"""Bare Flask for bench/api.py: one route answering a constant JSON object, served by gunicorn
on the same settings as Sparki (gunicorn.conf.py), the ceiling Sparki's figures are shared of."""

from flask import Flask

app = Flask(__name__)

ME = {
    "id": "user-0",
    "email": "bench@example.com",
    "name": "Administrator",
    "roles": ["admin"],
    "active": True,
}


@app.get("/api/v1/users/me")
def me():
    return ME
