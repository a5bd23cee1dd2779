-- wrk script: DRF-token logins in a loop (argon2 verifies on the blocking pool), as background load.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username": "alice@example.com", "password": "alice-pass-123"}'
