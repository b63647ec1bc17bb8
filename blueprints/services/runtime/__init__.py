"""Runtime drivers behind one interface; `get_runtime()` picks one from SPARKI_RUNTIME."""
